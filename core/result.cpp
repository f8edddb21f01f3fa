#include "core/result.h"

namespace o365fwd {

const char* toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig: return "config";
    case ErrorKind::kTransport: return "transport";
    case ErrorKind::kHttp: return "http";
    case ErrorKind::kAuth: return "auth";
    case ErrorKind::kPermission: return "permission";
    case ErrorKind::kThrottled: return "throttled";
    case ErrorKind::kApi: return "api";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kCorrupt: return "corrupt";
    case ErrorKind::kSink: return "sink";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace o365fwd
