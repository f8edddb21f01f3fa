#pragma once
// HTTP as the connector sees it. A transport failure (DNS, connect, TLS, timeout, reset, response
// over the size limit) is an Error; any HTTP status, even 503, is a response.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace o365fwd {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Memory accounting for one response body, asked while the decoded body arrives, before each
// piece is stored. Called on the transport's I/O thread only; never blocks. The owner keeps it
// alive until the request completed (executeBlocking returns).
class BodyBudget {
 public:
  enum class Grant {
    kGranted,  // the bytes are counted; store them
    kWait,     // no room now: pause the transfer and ask again later
    kNever,    // this body alone would exceed the whole budget: abort the transfer
  };
  virtual ~BodyBudget() = default;
  virtual Grant grow(std::uint64_t bytes) = 0;
  // True when the budget wants the bytes of this (paused) body back: the transfer is aborted
  // with the retryable error "memory_budget".
  virtual bool preempted() const = 0;
  // The body was dropped (the request failed): give back every byte granted so far.
  virtual void discard() = 0;
  // A buffer to decode a body of `bytes` (already granted) into: the body of a freed blob kept
  // for reuse, whose pages are mapped already (no page faults, no zeroing by the kernel), or an
  // empty string. Its capacity may exceed `bytes` by at most an eighth.
  virtual std::string reusableBuffer(std::uint64_t bytes) {
    (void)bytes;
    return {};
  }
};

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  Headers headers;
  std::string body;
  // Bearer token: sent through CURLOPT_XOAUTH2_BEARER, never logged. Empty = none.
  std::string bearer_token;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};  // whole transfer
  // Stall timeout: abort when no byte arrives for this long (a peer that accepted and went
  // silent, or sent headers and stalled); code "timeout". 0 = none.
  std::chrono::milliseconds low_speed_time{std::chrono::seconds(60)};
  std::uint64_t max_response_bytes = 16ull * 1024 * 1024;  // decoded bytes; enforced while reading
  std::stop_token stop;  // a stop request aborts the transfer with ErrorKind::kCancelled
  // Counts the decoded body while it arrives (blobs); nullptr = not counted.
  BodyBudget* body_budget = nullptr;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::chrono::milliseconds elapsed{0};
  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> header(std::string_view name) const;
};

using HttpDone = std::function<void(Result<HttpResponse>)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Returns at once; `done` runs exactly once, on the transport's I/O thread; it must not block.
  virtual void submit(HttpRequest request, HttpDone done) = 0;
  // Requests submitted and not completed.
  virtual std::size_t inFlight() const = 0;
  // Completes every pending request with ErrorKind::kCancelled, then joins the I/O thread.
  virtual void shutdown() = 0;
};

// Submits and waits for the result on the calling thread (workers block here; the I/O thread
// runs the transfers). Honours request.stop.
Result<HttpResponse> executeBlocking(HttpTransport& transport, HttpRequest request);

}  // namespace o365fwd
