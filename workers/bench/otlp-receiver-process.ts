// Bench child process: an OTLP/HTTP trace receiver (the test one), so the traced worker exports somewhere real.
import { startOtlpReceiver } from "../test/support/otlp-receiver";

async function main(): Promise<void> {
  const receiver = await startOtlpReceiver();
  process.send!({ ready: true, url: receiver.url });
  process.on("message", async (m: { cmd: string }) => {
    if (m.cmd === "spans") process.send!({ spans: receiver.spans.length });
    if (m.cmd === "stop") {
      await receiver.stop();
      process.exit(0);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
