#include "sinks/sink_factory.h"

#include "sinks/file/file_sink.h"
#include "sinks/kafka/kafka_sink.h"
#include "sinks/syslog/syslog_sink.h"

namespace o365fwd {

Result<std::unique_ptr<Sink>> makeSink(const SinkConfig& config, Clock& clock, Random& random) {
  switch (config.type) {
    case SinkType::kFile:
      return std::unique_ptr<Sink>(std::make_unique<FileSink>(config.name, config.file, clock, random));
    case SinkType::kSyslog:
      return std::unique_ptr<Sink>(std::make_unique<SyslogSink>(config.name, config.syslog, clock, random));
    case SinkType::kKafka:
      return std::unique_ptr<Sink>(std::make_unique<KafkaSink>(config.name, config.kafka, clock, random));
  }
  return Error::permanent(ErrorKind::kInternal, "unknown sink type");
}

}  // namespace o365fwd
