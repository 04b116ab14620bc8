// Marks the suite plants in every saga's variables and in the database password: neither may appear in the
// worker's output or in a job failure message (issue 7 item 15), whatever the scenario.
export const PAYLOAD_MARKER = "4111-fault-suite-payload";
export const SECRET_MARKER = "fault-suite-s3cret";
