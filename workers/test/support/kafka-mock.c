/*
 * Confluent's mock Kafka cluster (librdkafka's rd_kafka_mock API) as a test server.
 * Built by workers/test/support/kafka.ts with `gcc kafka-mock.c -lrdkafka` into a temp dir.
 * Usage: kafka-mock [broker-count]. Prints the bootstrap servers on one line, then reads
 * commands from stdin: "down" / "up" take every broker down / up (an outage without losing
 * the log). End of stdin (the test process exited) stops the cluster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
  char errstr[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr); /* errors only: no bootstrap warning */
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers > 0 ? brokers : 1);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "down", 4) == 0) rd_kafka_mock_broker_set_down(mc, -1);
    else if (strncmp(line, "up", 2) == 0) rd_kafka_mock_broker_set_up(mc, -1);
    printf("ok %s", line);
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
