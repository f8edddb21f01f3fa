#include "sinks/kafka/kafka_options.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>

#include "tests/support/temp_dir.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kSecretValue = "s3cr3t-Kafka-pw";

std::map<std::string, std::string> asMap(const KafkaProperties& props) {
  std::map<std::string, std::string> out;
  for (const KafkaProperty& p : props.properties) out[p.key] = p.value.reveal();
  return out;
}

bool isSecret(const KafkaProperties& props, const std::string& key) {
  for (const KafkaProperty& p : props.properties)
    if (p.key == key) return p.secret;
  return false;
}

KafkaSinkConfig baseConfig() {
  KafkaSinkConfig config;
  config.brokers = "127.0.0.1:9092";
  return config;
}

std::string writeSecret(const TempDir& dir, const std::string& name, const std::string& content,
                        mode_t mode = 0600) {
  std::string path = dir.file(name);
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(KafkaOptionsTest, DefaultsGiveADurableBoundedProducer) {
  Result<KafkaProperties> props = buildKafkaProperties(baseConfig());
  ASSERT_TRUE(props.ok()) << props.error().message;
  auto m = asMap(*props);
  EXPECT_EQ(m["bootstrap.servers"], "127.0.0.1:9092");
  EXPECT_EQ(m["enable.idempotence"], "true");
  EXPECT_EQ(m["acks"], "all");
  EXPECT_EQ(m["message.timeout.ms"], "120000");
  EXPECT_EQ(m["queue.buffering.max.kbytes"], "65536");
  EXPECT_EQ(m["queue.buffering.max.messages"], "100000");
  EXPECT_EQ(m["linger.ms"], "20");
  EXPECT_EQ(m["compression.codec"], "zstd");
  EXPECT_EQ(m["compression.level"], "1");  // zstd's fastest level: a third of the sink's CPU
  EXPECT_EQ(m["message.max.bytes"], "1000000");
  EXPECT_TRUE(props->warnings.empty());
}

TEST(KafkaOptionsTest, TypedKeysAndTuningAreMapped) {
  KafkaSinkConfig config = baseConfig();
  config.compression = "lz4";
  config.message_timeout = std::chrono::seconds(30);
  config.max_message_size = 4 * 1024 * 1024;
  config.idempotence = false;
  KafkaTuning tuning;
  tuning.queue_max_kbytes = 1;
  tuning.queue_max_messages = 4;
  tuning.linger = std::chrono::milliseconds(5);
  Result<KafkaProperties> props = buildKafkaProperties(config, tuning);
  ASSERT_TRUE(props.ok()) << props.error().message;
  auto m = asMap(*props);
  EXPECT_EQ(m["compression.codec"], "lz4");
  EXPECT_EQ(m.count("compression.level"), 0u);  // lz4's own default
  EXPECT_EQ(m["message.timeout.ms"], "30000");
  EXPECT_EQ(m["message.max.bytes"], "4194304");
  EXPECT_EQ(m["enable.idempotence"], "false");
  EXPECT_EQ(m["queue.buffering.max.kbytes"], "1");
  EXPECT_EQ(m["queue.buffering.max.messages"], "4");
  EXPECT_EQ(m["linger.ms"], "5");
}

TEST(KafkaOptionsTest, UserPropertiesPassThroughAfterOurs) {
  KafkaSinkConfig config = baseConfig();
  config.properties = {{"security.protocol", "sasl_ssl"},
                       {"sasl.mechanism", "SCRAM-SHA-512"},
                       {"sasl.username", "o365fwd"},
                       {"linger.ms", "50"},
                       {"compression.level", "3"}};
  Result<KafkaProperties> props = buildKafkaProperties(config);
  ASSERT_TRUE(props.ok()) << props.error().message;
  auto m = asMap(*props);
  EXPECT_EQ(m["security.protocol"], "sasl_ssl");
  EXPECT_EQ(m["sasl.username"], "o365fwd");
  EXPECT_EQ(m["linger.ms"], "50");  // the later entry wins in librdkafka too
  EXPECT_EQ(m["compression.level"], "3");
  EXPECT_EQ(props->properties.back().key, "security.protocol");  // user keys come last
  EXPECT_FALSE(isSecret(*props, "sasl.username"));
}

TEST(KafkaOptionsTest, FilePropertyBecomesASecretValue) {
  TempDir dir("kafka-options");
  KafkaSinkConfig config = baseConfig();
  config.properties = {
      {"sasl.password_file", writeSecret(dir, "pw", std::string(kSecretValue) + "\n")}};
  Result<KafkaProperties> props = buildKafkaProperties(config);
  ASSERT_TRUE(props.ok()) << props.error().message;
  auto m = asMap(*props);
  EXPECT_EQ(m.count("sasl.password_file"), 0u);
  EXPECT_EQ(m["sasl.password"], kSecretValue);
  EXPECT_TRUE(isSecret(*props, "sasl.password"));
}

TEST(KafkaOptionsTest, InlineSecretIsMarkedAndWarnedWithoutItsValue) {
  KafkaSinkConfig config = baseConfig();
  config.properties = {{"sasl.password", kSecretValue}};
  Result<KafkaProperties> props = buildKafkaProperties(config);
  ASSERT_TRUE(props.ok());
  EXPECT_TRUE(isSecret(*props, "sasl.password"));
  ASSERT_EQ(props->warnings.size(), 1u);
  EXPECT_NE(props->warnings[0].find("sasl.password_file"), std::string::npos);
  EXPECT_EQ(props->warnings[0].find(kSecretValue), std::string::npos);
}

TEST(KafkaOptionsTest, SecretFileProblemsAreValueFreeErrors) {
  TempDir dir("kafka-options");
  KafkaSinkConfig config = baseConfig();
  config.properties = {{"sasl.password_file", dir.file("missing")}};
  Result<KafkaProperties> missing = buildKafkaProperties(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kConfig);
  EXPECT_NE(missing.error().message.find("missing"), std::string::npos);

  config.properties = {{"sasl.password_file", writeSecret(dir, "open", kSecretValue, 0666)}};
  Result<KafkaProperties> writable = buildKafkaProperties(config);
  ASSERT_FALSE(writable.ok());
  EXPECT_EQ(writable.error().message.find(kSecretValue), std::string::npos);

  config.properties = {
      {"sasl.password_file", writeSecret(dir, "ws", std::string(" ") + kSecretValue)}};
  Result<KafkaProperties> spaced = buildKafkaProperties(config);
  ASSERT_FALSE(spaced.ok());
  EXPECT_EQ(spaced.error().message.find(kSecretValue), std::string::npos);
}

TEST(KafkaOptionsTest, InlineAndFileFormsOfOneKeyConflict) {
  TempDir dir("kafka-options");
  KafkaSinkConfig config = baseConfig();
  config.properties = {{"sasl.password", kSecretValue},
                       {"sasl.password_file", writeSecret(dir, "pw", kSecretValue)}};
  Result<KafkaProperties> props = buildKafkaProperties(config);
  ASSERT_FALSE(props.ok());
  EXPECT_NE(props.error().message.find("both inline and as \"sasl.password_file\""),
            std::string::npos);
  EXPECT_EQ(props.error().message.find(kSecretValue), std::string::npos);
}

TEST(KafkaOptionsTest, TypedKeysCannotBeSetTwice) {
  const std::map<std::string, std::string> cases = {{"bootstrap.servers", "brokers"},
                                                    {"compression.type", "compression"},
                                                    {"message.timeout.ms", "message_timeout"},
                                                    {"message.max.bytes", "max_message_size"},
                                                    {"enable.idempotence", "idempotence"}};
  for (const auto& [key, typed] : cases) {
    KafkaSinkConfig config = baseConfig();
    config.properties = {{key, "1"}};
    Result<KafkaProperties> props = buildKafkaProperties(config);
    ASSERT_FALSE(props.ok()) << key;
    EXPECT_NE(props.error().message.find("`" + typed + "`"), std::string::npos)
        << props.error().message;
  }
}

TEST(KafkaOptionsTest, GuaranteesCannotBeWeakened) {
  const std::map<std::string, std::string> cases = {
      {"acks", "1"},
      {"enable.ssl.certificate.verification", "false"},
      {"ssl.endpoint.identification.algorithm", "none"},
      {"queue.buffering.max.kbytes", "0"},
      {"retries", "0"}};
  for (const auto& [key, value] : cases) {
    KafkaSinkConfig config = baseConfig();
    config.properties = {{key, value}};
    Result<KafkaProperties> props = buildKafkaProperties(config);
    ASSERT_FALSE(props.ok()) << key;
    EXPECT_NE(props.error().message.find(key), std::string::npos);
  }
  KafkaSinkConfig config = baseConfig();
  config.properties = {{"acks", "all"}};
  EXPECT_TRUE(buildKafkaProperties(config).ok());
}

TEST(KafkaOptionsTest, TypedValuesAreValidated) {
  KafkaSinkConfig config = baseConfig();
  config.brokers.clear();
  EXPECT_FALSE(buildKafkaProperties(config).ok());
  config = baseConfig();
  config.compression = "brotli";
  Result<KafkaProperties> codec = buildKafkaProperties(config);
  ASSERT_FALSE(codec.ok());
  EXPECT_NE(codec.error().message.find("zstd"), std::string::npos);
  config = baseConfig();
  config.message_timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(buildKafkaProperties(config).ok());  // 0 would mean "retry forever"
  config = baseConfig();
  config.max_message_size = 10;
  EXPECT_FALSE(buildKafkaProperties(config).ok());
}

TEST(KafkaOptionsTest, TopicTemplates) {
  EXPECT_TRUE(validateTopicTemplate("o365-audit").ok());
  EXPECT_TRUE(validateTopicTemplate("o365.{tenant}.{content_type}").ok());
  EXPECT_FALSE(validateTopicTemplate("").ok());
  EXPECT_FALSE(validateTopicTemplate("o365 audit").ok());
  EXPECT_FALSE(validateTopicTemplate("o365-{tenantid}").ok());
  EXPECT_FALSE(validateTopicTemplate(std::string(240, 'a') + "{tenant}").ok());
  EXPECT_TRUE(topicHasPlaceholders("a-{tenant}"));
  EXPECT_FALSE(topicHasPlaceholders("a-tenant"));
  EXPECT_EQ(expandTopic("o365.{tenant}.{content_type}", "contoso", "Audit.Exchange"),
            "o365.contoso.Audit.Exchange");
  EXPECT_EQ(expandTopic("{content_type}{content_type}", "", "DLP.All"), "DLP.AllDLP.All");
  KafkaSinkConfig config = baseConfig();
  config.topic = "bad/topic";
  EXPECT_FALSE(buildKafkaProperties(config).ok());
}

}  // namespace
}  // namespace o365fwd::testing
