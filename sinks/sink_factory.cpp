#include "sinks/sink_factory.h"

#include "sinks/file/file_sink.h"

namespace o365fwd {

Result<std::unique_ptr<Sink>> makeSink(const SinkConfig& config, Clock& clock, Random& random) {
  switch (config.type) {
    case SinkType::kFile:
      return std::unique_ptr<Sink>(std::make_unique<FileSink>(config.name, config.file, clock, random));
    case SinkType::kKafka:
    case SinkType::kSyslog:
      return Error::permanent(ErrorKind::kConfig,
                              std::string("sink type ") + toString(config.type) + " is not available in this build yet");
  }
  return Error::permanent(ErrorKind::kInternal, "unknown sink type");
}

}  // namespace o365fwd
