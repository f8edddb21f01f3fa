#pragma once
// HttpTransport on libcurl's multi interface: one I/O thread drives every transfer of the process
// (or of whatever scope the composition root gives it). The only code that includes curl.h.
//
// Threads: submit(), inFlight() and shutdown() may be called from any thread; `done` callbacks
// run on the I/O thread (after shutdown(), submit() completes `done` with kCancelled on the
// calling thread). The I/O thread never blocks on anything but epoll_wait() over curl's sockets and
// its wake-up eventfd. It drives libcurl through curl_multi_socket_action, so an event costs the
// work of the one transfer whose socket is ready: curl_multi_perform looked at (and polled) every
// running transfer on every event, ~20 poll() calls per request with a fleet's 80 requests in
// flight.
//
// Promises:
// - At most `max_concurrent` transfers run at once; the rest wait in a FIFO. The FIFO itself is
//   not bounded here: callers bound it (a fixed pool of workers, each with at most one request
//   in flight via executeBlocking).
// - Every submitted request's `done` runs exactly once: with the response (any HTTP status), a
//   kTransport error (retryable; curl's message with scheme://host/path, never the query or any
//   header; code "timeout" when the stall or total timeout struck), "response_too_large"
//   (permanent; more decoded body bytes than max_response_bytes), "exceeds_inflight_budget"
//   (permanent; request.body_budget answered kNever), "memory_budget" (retryable; the budget
//   preempted the paused transfer, or it timed out while paused), or kCancelled (request.stop,
//   or shutdown()).
// - With request.body_budget, every piece is granted before it is stored; a transfer the budget
//   cannot serve yet is paused (CURL_WRITEFUNC_PAUSE, no busy loop: asked again every 100 ms)
//   while the others go on; a paused transfer is exempt from the stall timeout but not from the
//   total one. Bodies are stored in BodyBuffer chunks, never in a doubling string.
// - gzip (GET requests): only gzip is asked for, and a gzip body is stored as it arrives (counted
// and limited as
//   stored bytes), then decoded whole on the I/O thread into a buffer of its trailer's size
//   (GzipInflater), the budget asked for that size first: over max_response_bytes or the whole
//   budget fails at once as above; no room yet waits (asked again every 100 ms, preemptable, not
//   subject to the timeouts: the transfer is over). Beyond what the budget counts the process
//   then holds at most one gzip body, the one being decoded. A body that does not decode so
//   (several members, 4 GiB or more, another encoding, corrupt, a trailer that understates) is
//   fetched again with libcurl decoding it while it arrives, every decoded piece counted and
//   limited as above: a decompression bomb stops at a limit either way. (libcurl refuses bytes
//   after a first gzip member, so a body of several members fails, retryable, as it always did.)
// - request.stop is checked at least every 100 ms, for running and for queued requests.
// - TLS peer and host verification are always on; only http and https; redirects are never
//   followed; the bearer token goes in an Authorization header of ours (CURLHEADER_SEPARATE:
//   never to a proxy's CONNECT); no verbose output.
// - Response headers are those of the final response (100-continue and proxy CONNECT answers
//   are discarded), names as the server sent them.
#include <atomic>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connector/http/gzip_inflater.h"
#include "connector/http/http_transport.h"
#include "core/result.h"

namespace o365fwd {

struct CurlTransportOptions {
  int max_concurrent = 16;
  std::string ca_file;     // PEM bundle for TLS verification; empty = libcurl's default store
  std::string user_agent;  // empty = "o365fwd/<version>"
  // "http://host:3128". Empty = no proxy, also ignoring http(s)_proxy in the environment.
  std::string proxy;
  std::string no_proxy;        // hosts that bypass the proxy (CURLOPT_NOPROXY syntax)
  long connection_cache = 32;  // idle connections kept for reuse (CURLMOPT_MAXCONNECTS)
};

class CurlMultiTransport final : public HttpTransport {
 public:
  // Initialises libcurl (once per process) and starts the I/O thread.
  static Result<std::unique_ptr<CurlMultiTransport>> create(CurlTransportOptions options);
  ~CurlMultiTransport() override;  // shutdown()
  CurlMultiTransport(const CurlMultiTransport&) = delete;
  CurlMultiTransport& operator=(const CurlMultiTransport&) = delete;

  void submit(HttpRequest request, HttpDone done) override;
  std::size_t inFlight() const override { return in_flight_.load(); }
  void shutdown() override;

  struct Transfer;  // one request's curl state (defined in the .cpp)

 private:
  CurlMultiTransport(CurlTransportOptions options, void* multi, int wake_fd, int epoll_fd);
  void run();
  void startQueued();
  void finish(Transfer* transfer, Result<HttpResponse> result);
  void complete(Transfer* transfer);     // the transfer succeeded: decode if needed, finish
  void decodeWhole(Transfer* transfer);  // asks the budget for the decoded size, decodes, finishes
  void fetchAgainStreaming(Transfer* transfer, const char* why);
  void cancelStopped();
  void resumePaused();  // asks body budgets again for paused transfers; aborts preempted ones
  void failAll();
  void wake();  // makes the I/O thread look at the queue (one eventfd write while none is pending)
  // CURLMOPT_SOCKETFUNCTION (CURL*, curl_socket_t, what, this, socketp): the sockets to poll.
  static int onSocket(void* easy, int socket, int what, void* self, void* socketp);

  const CurlTransportOptions options_;
  void* multi_;  // CURLM*, owned; touched only by the I/O thread after construction

  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_;  // submitted, not started; guarded by mu_
  bool stopping_ = false;                        // guarded by mu_

  std::deque<std::unique_ptr<Transfer>> running_;  // I/O thread only
  std::map<int, int> sockets_;  // curl's sockets -> CURL_POLL_IN/OUT/INOUT (as in epoll_fd_)
  // Easy handles of transfers that succeeded, reset for the next request (curl_easy_reset: no
  // option, header or token survives; libcurl keeps its buffers). I/O thread only.
  std::vector<void*> idle_easy_;
  int wake_fd_ = -1;   // eventfd, owned
  int epoll_fd_ = -1;  // curl's sockets and wake_fd_, owned; I/O thread only after construction
  std::atomic<bool> wake_pending_{false};
  GzipInflater inflater_;  // I/O thread only
  std::atomic<std::size_t> in_flight_{0};
  std::thread thread_;
  std::once_flag shutdown_once_;
};

}  // namespace o365fwd
