export const startMessageName = (bpmnProcessId: string): string => `start:${bpmnProcessId}`;
