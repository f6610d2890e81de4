#include <gtest/gtest.h>

#include "adapters/kafka/kafka_options.h"

namespace parley::kafka {
namespace {

TEST(KafkaUrl, ReadsBrokersTopicPartitionsAndClientOptions) {
  auto o = parseKafkaUrl(
      "kafka://k1.example:9093,10.0.0.2:9093,[::1]:9092?topic=chat.events&partitions=12&"
      "security.protocol=sasl_ssl&sasl.mechanism=SCRAM-SHA-512&sasl.username=parley&"
      "sasl.password=p%26ss%3Dword&ssl.ca.location=/etc/ca.pem");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->brokers,
            (std::vector<std::string>{"k1.example:9093", "10.0.0.2:9093", "[::1]:9092"}));
  EXPECT_EQ(o->topic, "chat.events");
  EXPECT_EQ(o->partitions, 12);
  EXPECT_EQ(o->client.at("sasl.password"), "p&ss=word");
  EXPECT_EQ(o->client.at("ssl.ca.location"), "/etc/ca.pem");
  EXPECT_EQ(redactedKafkaUrl(*o).find("p&ss"), std::string::npos);
}

TEST(KafkaUrl, DefaultsTopicAndPartitions) {
  auto o = parseKafkaUrl("kafka://127.0.0.1:9092");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->topic, "parley.events");
  EXPECT_EQ(o->partitions, 6);
  EXPECT_TRUE(o->client.empty());
}

TEST(KafkaUrl, RefusesWhatIsNotExactlyRight) {
  for (const char* bad : {
           "kafka://",
           "kafka://host",
           "kafka://host:",
           "kafka://:9092",
           "kafka://host:0",
           "kafka://host:65536",
           "kafka://host:9092,",
           "kafka://host:9092,,h:1",
           "kafka://ho st:9092",
           "kafka://user:pw@host:9092",
           "kafka://host:9092/path",
           "kafka://[zz]:9092",
           "redis://host:9092",
           "kafka://host:9092?topic=",
           "kafka://host:9092?topic=a/b",
           "kafka://host:9092?topic=..",
           "kafka://host:9092?topic=a&topic=b",
           "kafka://host:9092?partitions=0",
           "kafka://host:9092?partitions=1025",
           "kafka://host:9092?partitions=3x",
           "kafka://host:9092?partitions=-1",
           "kafka://host:9092?acks=0",
           "kafka://host:9092?topic",
           "kafka://host:9092?topic=a%2",
           "kafka://host:9092?topic=a%00",
           "kafka://host:9092?security.protocol=tls",
           "kafka://host:9092?sasl.username=u&sasl.password=p",
           "kafka://host:9092?security.protocol=sasl_ssl&sasl.mechanism=PLAIN&sasl.username=u",
           "kafka://host:9092?security.protocol=sasl_ssl&sasl.mechanism=GSSAPI&"
           "sasl.username=u&sasl.password=p",
           "kafka://host:9092?ssl.ca.location=/ca.pem",
           "kafka://host:9092?security.protocol=sasl_plaintext&sasl.mechanism=PLAIN&"
           "sasl.username=u&sasl.password=p",
       }) {
    auto o = parseKafkaUrl(bad);
    EXPECT_FALSE(o) << bad;
    if (!o) {
      EXPECT_EQ(o.error().code, Code::bad_request) << bad;
    }
  }
}

}  // namespace
}  // namespace parley::kafka
