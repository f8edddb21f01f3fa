// The only file of the project that includes curl.h.
#include "connector/http/curl_multi_transport.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <exception>
#include <vector>

#include "connector/http/body_buffer.h"
#include "connector/http/url_guard.h"
#include "core/logging.h"
#include "core/thread_name.h"
#include "core/version.h"

namespace o365fwd {
namespace {

constexpr long kStopCheckMs = 100;            // request.stop is checked at least this often
constexpr std::size_t kIdleEasyHandles = 64;  // reset easy handles kept for reuse
// The stall timeout: fewer than 1 byte per second over low_speed_time means nothing arrived.
constexpr long kLowSpeedBytesPerSec = 1;

CURLM* asMulti(void* p) {
  return static_cast<CURLM*>(p);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// "GET https://host/path" for messages: never the query string, never a header.
std::string describeTarget(const HttpRequest& request) {
  std::string url = request.url.substr(0, request.url.find_first_of("?#"));
  return request.method + " " + url;
}

bool hasLineBreak(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

Error cancelled() {
  return Error::permanent(ErrorKind::kCancelled, "request cancelled");
}

}  // namespace

struct CurlMultiTransport::Transfer {
  HttpRequest request;
  HttpDone done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  bool added = false;  // to the multi handle
  HttpResponse response;
  BodyBuffer body;
  bool too_large = false;
  bool over_budget = false;  // body_budget answered kNever
  bool paused = false;       // waiting for body_budget
  // This attempt stores a gzip body as it arrives and decodes it whole at the end (GzipInflater);
  // false: libcurl decodes every encoding while the body arrives (the fallback).
  bool whole_gzip = true;
  // The gzip body arrived; waiting for body_budget to grant its decoded size.
  bool decode_pending = false;
  std::uint64_t decoded_size = 0;  // the gzip trailer's size
  std::string encoded;             // the whole gzip body, until decoded
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
};

namespace {

using Transfer = CurlMultiTransport::Transfer;

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->body.size() + n > t->request.max_response_bytes) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here
  }
  if (BodyBudget* budget = t->request.body_budget) {
    switch (budget->grow(n)) {
      case BodyBudget::Grant::kGranted: break;
      case BodyBudget::Grant::kWait:
        t->paused = true;  // resumePaused() asks again; curl hands the same bytes again then
        return CURL_WRITEFUNC_PAUSE;
      case BodyBudget::Grant::kNever: t->over_budget = true; return 0;
    }
  }
  t->paused = false;
  t->body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.substr(0, 5) == "HTTP/") {
    t->response.headers.clear();  // a new response (after 100-continue or a proxy CONNECT)
    return n;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    if (!t->response.headers.empty()) {  // obsolete line folding
      t->response.headers.back().second += ' ';
      t->response.headers.back().second += trim(line);
    }
    return n;
  }
  line = trim(line);
  if (line.empty()) {  // end of this response's header block
    if (auto length = t->response.header("Content-Length")) {
      std::uint64_t value = 0;
      auto [ptr, ec] = std::from_chars(length->data(), length->data() + length->size(), value);
      // The size of the bytes stored: an unencoded body, or a gzip body kept whole (its decoded
      // size comes from its trailer); a body libcurl decodes says nothing about its decoded size.
      if (ec == std::errc() && value <= t->request.max_response_bytes &&
          (t->whole_gzip || !t->response.header("Content-Encoding")))
        t->body.reserve(value);
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  t->response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  return n;
}

// Who decodes the body: gzip only, stored as it arrives and decoded whole at the end; or every
// encoding libcurl knows, decoded as it arrives.
void setDecoding(Transfer& t) {
  curl_easy_setopt(t.easy, CURLOPT_ACCEPT_ENCODING, t.whole_gzip ? "gzip" : "");
  curl_easy_setopt(t.easy, CURLOPT_HTTP_CONTENT_DECODING, t.whole_gzip ? 0L : 1L);
}

// The body's Content-Encoding, lower case; empty for none or identity.
std::string contentEncoding(const HttpResponse& response) {
  auto header = response.header("Content-Encoding");
  std::string value(header ? trim(*header) : std::string_view());
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "identity" ? std::string() : value;
}

Error tooLarge(const HttpRequest& r) {
  return Error::permanent(ErrorKind::kTransport,
                          describeTarget(r) + ": the response is larger than the limit of " +
                              std::to_string(r.max_response_bytes) + " bytes",
                          "response_too_large");
}

Error overBudget(const HttpRequest& r) {
  return Error::permanent(ErrorKind::kTransport,
                          describeTarget(r) +
                              ": the decoded body alone exceeds the memory budget "
                              "(collection.max_inflight_bytes; a blob is held with its parse, "
                              "about 1.5 x its size): raise max_inflight_bytes to collect "
                              "such blobs",
                          "exceeds_inflight_budget");
}

// Configures one easy handle; returns an error message, or empty on success.
std::string configure(Transfer& t, const CurlTransportOptions& o) {
  const HttpRequest& r = t.request;
  CURL* e = t.easy;
  for (const auto& [name, value] : r.headers)
    if (hasLineBreak(name) || hasLineBreak(value)) return "a request header contains a line break";
  if (hasLineBreak(r.bearer_token)) return "the bearer token contains a line break";

  if (curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()) != CURLE_OK) return "the URL is not usable";
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK)
    return "cannot restrict protocols";
#else
  if (curl_easy_setopt(e, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}) !=
          CURLE_OK)
    return "cannot restrict protocols";
#endif
  curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<char*>(&t));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_file.empty() && curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_file.c_str()) != CURLE_OK)
    return "cannot use ca_file";
  // Set explicitly: an empty proxy disables http(s)_proxy from the environment.
  curl_easy_setopt(e, CURLOPT_PROXY, o.proxy.c_str());
  if (!o.no_proxy.empty()) curl_easy_setopt(e, CURLOPT_NOPROXY, o.no_proxy.c_str());
  const std::string agent =
      o.user_agent.empty() ? std::string("o365fwd/") + kVersion : o.user_agent;
  curl_easy_setopt(e, CURLOPT_USERAGENT, agent.c_str());  // copied by libcurl
  setDecoding(t);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
  if (r.low_speed_time.count() > 0) {
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerSec);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     std::max<long>(1, static_cast<long>(r.low_speed_time.count() / 1000)));
  }
  // Rejects a too-large Content-Length before the body; onBody() enforces the decoded size.
  curl_easy_setopt(
      e, CURLOPT_MAXFILESIZE_LARGE,
      static_cast<curl_off_t>(std::min<std::uint64_t>(r.max_response_bytes, INT64_MAX)));

  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (r.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (r.method == "POST" || !r.body.empty()) {
      // Points into t.request, which outlives the transfer. An empty body sends Content-Length: 0.
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
    }
  }
  for (const auto& [name, value] : r.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(t.headers, line.c_str());
    if (!next) return "out of memory";
    t.headers = next;
  }
  if (!r.bearer_token.empty()) {
    // A header of ours rather than CURLOPT_XOAUTH2_BEARER: libcurl 7.88 formats its bearer header
    // a byte at a time twice (aprintf into its auth string, then into the request), a custom
    // header once — with a 1-2 KB token that was the largest part of libcurl's CPU per request.
    // Same reach: redirects are never followed, and CURLHEADER_SEPARATE keeps it out of a proxy's
    // CONNECT.
    const std::string line = "Authorization: Bearer " + r.bearer_token;
    curl_slist* next = curl_slist_append(t.headers, line.c_str());
    if (!next) return "out of memory";
    t.headers = next;
  }
  if (curl_slist* next = curl_slist_append(t.headers, "Expect:")) t.headers = next;
  curl_easy_setopt(e, CURLOPT_HEADEROPT, static_cast<long>(CURLHEADER_SEPARATE));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  return {};
}

// A failed transfer's error. Timeouts get the code "timeout" and say which limit struck.
Error transferError(const Transfer& t, CURLcode code) {
  std::string detail = t.error[0] ? std::string(t.error) : curl_easy_strerror(code);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  const HttpRequest& r = t.request;
  if (code == CURLE_OPERATION_TIMEDOUT && t.paused)
    return Error::retryableError(
        ErrorKind::kTransport,
        describeTarget(r) + ": waited too long for room in the memory budget; fetched again later",
        "memory_budget");
  if (code == CURLE_OPERATION_TIMEDOUT) {
    const bool stalled = detail.find("too slow") != std::string::npos;
    auto secs = [](std::chrono::milliseconds ms) {
      return std::to_string((ms.count() + 500) / 1000);
    };
    std::string what =
        stalled
            ? "no byte received for " + secs(r.low_speed_time) + " s (collection.stall_timeout)"
            : "no complete answer within " + secs(r.timeout) + " s (collection.request_timeout)";
    if (detail.find("onnect") != std::string::npos && !stalled)
      what = "no connection within the timeout";
    return Error::retryableError(ErrorKind::kTransport, describeTarget(r) + ": " + what, "timeout");
  }
  return Error::retryableError(ErrorKind::kTransport, describeTarget(r) + ": " + detail,
                               "curl " + std::to_string(static_cast<int>(code)));
}

}  // namespace

Result<std::unique_ptr<CurlMultiTransport>> CurlMultiTransport::create(
    CurlTransportOptions options) {
  static std::once_flag once;
  static CURLcode global = CURLE_OK;
  std::call_once(once, [] { global = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (global != CURLE_OK)
    return Error::permanent(ErrorKind::kInternal, std::string("libcurl initialisation failed: ") +
                                                      curl_easy_strerror(global));
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Error::permanent(ErrorKind::kInternal, "eventfd failed");
  CURLM* multi = curl_multi_init();
  if (!multi) {
    close(wake_fd);
    return Error::permanent(ErrorKind::kInternal, "curl_multi_init failed");
  }
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.fd = wake_fd;
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake_event) != 0) {
    if (epoll_fd >= 0) close(epoll_fd);
    close(wake_fd);
    curl_multi_cleanup(multi);
    return Error::permanent(ErrorKind::kInternal, "epoll set-up failed");
  }
  options.max_concurrent = std::max(1, options.max_concurrent);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, std::max(1L, options.connection_cache));
  return std::unique_ptr<CurlMultiTransport>(
      new CurlMultiTransport(std::move(options), multi, wake_fd, epoll_fd));
}

CurlMultiTransport::CurlMultiTransport(CurlTransportOptions options, void* multi, int wake_fd,
                                       int epoll_fd)
    : options_(std::move(options)), multi_(multi), wake_fd_(wake_fd), epoll_fd_(epoll_fd) {
  curl_multi_setopt(asMulti(multi_), CURLMOPT_SOCKETFUNCTION, &CurlMultiTransport::onSocket);
  curl_multi_setopt(asMulti(multi_), CURLMOPT_SOCKETDATA, this);
  thread_ = std::thread([this] { run(); });
}

CurlMultiTransport::~CurlMultiTransport() {
  shutdown();
  for (void* easy : idle_easy_) curl_easy_cleanup(easy);
  curl_multi_cleanup(asMulti(multi_));
  close(epoll_fd_);
  close(wake_fd_);
}

int CurlMultiTransport::onSocket(void* /*easy*/, int socket, int what, void* self,
                                 void* /*socketp*/) {
  auto* transport = static_cast<CurlMultiTransport*>(self);
  const int epoll_fd = transport->epoll_fd_;
  if (what == CURL_POLL_REMOVE) {
    // Fails harmlessly when the socket is closed already (a closed fd leaves the set by itself).
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, socket, nullptr);
    transport->sockets_.erase(socket);
    return 0;
  }
  epoll_event event{};
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
  event.data.fd = socket;
  auto [it, added] = transport->sockets_.try_emplace(socket, what);
  if (!added && it->second == what) return 0;
  it->second = what;
  // A socket closed without CURL_POLL_REMOVE left the set; its number may be a new socket now.
  if (epoll_ctl(epoll_fd, added ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, socket, &event) != 0)
    epoll_ctl(epoll_fd, added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, socket, &event);
  return 0;
}

void CurlMultiTransport::wake() {
  // One write while the I/O thread has not yet looked: a burst of submits costs one wake-up.
  if (wake_pending_.exchange(true)) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));  // full only at 2^64 - 1
}

void CurlMultiTransport::submit(HttpRequest request, HttpDone done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  // Only a GET is ever fetched again (a body that does not decode whole); a POST is decoded by
  // libcurl as it arrives.
  transfer->whole_gzip = transfer->request.method == "GET";
  transfer->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      in_flight_.fetch_add(1);
      queue_.push_back(std::move(transfer));
      wake();  // under mu_: the eventfd is open until the thread is joined
      return;
    }
  }
  transfer->done(cancelled());
}

void CurlMultiTransport::shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_pending_ = false;
      wake();
    }
    if (thread_.joinable()) thread_.join();
  });
}

void CurlMultiTransport::finish(Transfer* transfer, Result<HttpResponse> result) {
  HttpDone done = std::move(transfer->done);
  if (!result.ok() && transfer->request.body_budget) transfer->request.body_budget->discard();
  if (transfer->added) curl_multi_remove_handle(asMulti(multi_), transfer->easy);
  transfer->added = false;
  if (result.ok() && transfer->easy && !transfer->paused && idle_easy_.size() < kIdleEasyHandles) {
    curl_easy_reset(transfer->easy);
    idle_easy_.push_back(transfer->easy);
    transfer->easy = nullptr;
  }
  auto it = std::find_if(running_.begin(), running_.end(),
                         [&](const auto& p) { return p.get() == transfer; });
  if (it != running_.end()) running_.erase(it);  // frees the easy handle and buffers
  in_flight_.fetch_sub(1);
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    getLogger("connector.http")->error("a completion callback threw; ignored what={}", e.what());
  } catch (...) {
    getLogger("connector.http")->error("a completion callback threw; ignored");
  }
}

void CurlMultiTransport::startQueued() {
  while (running_.size() < static_cast<size_t>(options_.max_concurrent)) {
    std::unique_ptr<Transfer> t;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    Transfer* raw = t.get();
    running_.push_back(std::move(t));
    if (raw->request.stop.stop_requested()) {
      finish(raw, cancelled());
      continue;
    }
    if (idle_easy_.empty()) {
      raw->easy = curl_easy_init();
    } else {
      raw->easy = idle_easy_.back();
      idle_easy_.pop_back();
    }
    std::string problem = raw->easy ? configure(*raw, options_) : "curl_easy_init failed";
    if (problem.empty() && curl_multi_add_handle(asMulti(multi_), raw->easy) != CURLM_OK)
      problem = "curl_multi_add_handle failed";
    if (!problem.empty()) {
      finish(raw,
             Error::permanent(ErrorKind::kInternal, describeTarget(raw->request) + ": " + problem));
      continue;
    }
    raw->added = true;
  }
}

void CurlMultiTransport::complete(Transfer* t) {
  const std::string encoding = t->whole_gzip ? contentEncoding(t->response) : std::string();
  if (encoding.empty()) {  // stored as it arrived: unencoded, or decoded by libcurl
    t->response.body = t->body.take();
    HttpResponse response = std::move(t->response);
    finish(t, std::move(response));
    return;
  }
  // The transfer is over; the handle leaves the multi handle (a fetch again re-adds it).
  curl_multi_remove_handle(asMulti(multi_), t->easy);
  t->added = false;
  t->encoded = t->body.take();
  if (t->encoded.empty()) {  // nothing to decode (a 204, an empty error answer)
    HttpResponse response = std::move(t->response);
    finish(t, std::move(response));
    return;
  }
  std::optional<std::uint64_t> size;
  if (encoding == "gzip" || encoding == "x-gzip") size = GzipInflater::trailerSize(t->encoded);
  if (!size) {
    fetchAgainStreaming(t, "an encoding other than gzip, or not a gzip body");
    return;
  }
  t->decoded_size = *size;
  if (t->decoded_size > t->request.max_response_bytes) {
    // Its decoded size is at least what its trailer says. Whichever limit is smaller is named
    // first, as when the body is decoded while it arrives.
    BodyBudget* budget = t->request.body_budget;
    if (budget && budget->grow(t->decoded_size) == BodyBudget::Grant::kNever) {
      finish(t, overBudget(t->request));
    } else {
      finish(t, tooLarge(t->request));  // gives back anything granted
    }
    return;
  }
  decodeWhole(t);
}

void CurlMultiTransport::decodeWhole(Transfer* t) {
  // The budget counted the gzip bytes as they arrived; it is now asked for the rest of the
  // decoded size. The gzip body is freed right after decoding, so beyond the budget the process
  // holds at most one gzip body at a time: decoding runs on this one thread.
  const std::uint64_t stored = t->encoded.size();
  if (BodyBudget* budget = t->request.body_budget; budget && t->decoded_size > stored) {
    switch (budget->grow(t->decoded_size - stored)) {
      case BodyBudget::Grant::kGranted: break;
      case BodyBudget::Grant::kWait:
        t->decode_pending = true;  // resumePaused() asks again
        return;
      case BodyBudget::Grant::kNever: finish(t, overBudget(t->request)); return;
    }
  }
  t->decode_pending = false;
  const std::string encoded = std::move(t->encoded);  // freed when this returns
  std::string decoded;
  if (BodyBudget* budget = t->request.body_budget)
    decoded = budget->reusableBuffer(t->decoded_size);
  switch (inflater_.inflate(encoded, t->decoded_size, decoded)) {
    case GzipInflater::Outcome::kDecoded: {
      t->response.body = std::move(decoded);
      HttpResponse response = std::move(t->response);
      finish(t, std::move(response));
      return;
    }
    case GzipInflater::Outcome::kLarger:
      fetchAgainStreaming(t, "it decodes to more than its gzip trailer says");
      return;
    case GzipInflater::Outcome::kInvalid:
      fetchAgainStreaming(t, "not a valid single gzip stream");
      return;
  }
}

void CurlMultiTransport::fetchAgainStreaming(Transfer* t, const char* why) {
  // Several gzip members, a body of 4 GiB or more, another encoding, a corrupt body: libcurl
  // decodes it while it arrives, every piece counted and limited as it is decoded (a bomb stops
  // at a limit), and reports what is wrong with it.
  getLogger("connector.http")
      ->debug(
          "Body not decoded in one piece; fetching it again, decoded as it arrives. "
          "target={} reason={}",
          describeTarget(t->request), why);
  if (BodyBudget* budget = t->request.body_budget) budget->discard();
  t->body = BodyBuffer();
  std::string().swap(t->encoded);
  t->response = HttpResponse();
  t->whole_gzip = false;
  t->decode_pending = false;
  t->too_large = t->over_budget = t->paused = false;
  t->error[0] = '\0';
  setDecoding(*t);
  if (curl_multi_add_handle(asMulti(multi_), t->easy) != CURLM_OK) {
    finish(t, Error::permanent(ErrorKind::kInternal,
                               describeTarget(t->request) + ": curl_multi_add_handle failed"));
    return;
  }
  t->added = true;
}

void CurlMultiTransport::resumePaused() {
  std::vector<Transfer*> paused;
  for (const auto& t : running_)
    if (t->paused || t->decode_pending) paused.push_back(t.get());
  for (Transfer* t : paused) {
    if (t->request.body_budget->preempted()) {
      finish(t, Error::retryableError(ErrorKind::kTransport,
                                      describeTarget(t->request) +
                                          ": aborted to give its memory to an older download; "
                                          "fetched again later",
                                      "memory_budget"));
      continue;
    }
    if (t->decode_pending) {
      decodeWhole(t);  // may wait once more
      continue;
    }
    // Delivers the held bytes to onBody() again, which may pause the transfer once more.
    curl_easy_pause(t->easy, CURLPAUSE_CONT);
  }
}

void CurlMultiTransport::cancelStopped() {
  std::vector<Transfer*> stopped;
  for (const auto& t : running_)
    if (t->request.stop.stop_requested()) stopped.push_back(t.get());
  for (Transfer* t : stopped) finish(t, cancelled());

  std::vector<std::unique_ptr<Transfer>> queued;
  {
    std::lock_guard lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if ((*it)->request.stop.stop_requested()) {
        queued.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& t : queued) {
    Transfer* raw = t.get();
    running_.push_back(std::move(t));  // finish() expects ownership in running_
    finish(raw, cancelled());
  }
}

void CurlMultiTransport::failAll() {
  while (!running_.empty()) finish(running_.front().get(), cancelled());
  std::deque<std::unique_ptr<Transfer>> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(queue_);
  }
  for (auto& t : queued) {
    Transfer* raw = t.get();
    running_.push_back(std::move(t));
    finish(raw, cancelled());
  }
}

void CurlMultiTransport::run() {
  nameThisThread("o365-http-io");
  CURLM* multi = asMulti(multi_);
  std::array<epoll_event, 64> events;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    startQueued();
    // What is due without a socket event: transfers just added, curl's timeouts, a pause lifted.
    long due_ms = -1;
    curl_multi_timeout(multi, &due_ms);
    int still_running = 0;
    if (due_ms == 0) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &still_running);
    bool finished_any = false;
    int queued_msgs = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued_msgs)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      auto* t = reinterpret_cast<Transfer*>(priv);
      if (!t) continue;
      const CURLcode code = msg->data.result;
      finished_any = true;
      if (code == CURLE_OK) {
        long status = 0;
        curl_off_t micros = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &micros);
        t->response.status = static_cast<int>(status);
        t->response.elapsed = std::chrono::milliseconds(micros / 1000);
        complete(t);
      } else if (t->too_large || code == CURLE_FILESIZE_EXCEEDED) {
        finish(t, tooLarge(t->request));
      } else if (t->over_budget) {
        finish(t, overBudget(t->request));
      } else {
        finish(t, transferError(*t, code));
      }
    }
    cancelStopped();
    resumePaused();
    if (finished_any) continue;  // start queued transfers at once, then poll

    curl_multi_timeout(multi, &due_ms);
    const long wait_ms = due_ms < 0 ? kStopCheckMs : std::min(due_ms, kStopCheckMs);
    // epoll: a wait costs the ready sockets, not every open one (a fleet keeps ~80 connections;
    // poll() over all of them, 70,000 times in a 1,000-tenant run --once, was a tenth of this
    // thread).
    const int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(wait_ms));
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      const std::uint32_t got = events[i].events;
      if (fd == wake_fd_) {
        // Read, then clear, then (next turn) take the queue: a submit before the clear is in the
        // queue already; one after it writes again. (Cleared before the read, a submit's write
        // could be consumed here while the flag stays set, and later submits would not wake us.)
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
        wake_pending_ = false;
        continue;
      }
      int mask = 0;
      if (got & (EPOLLIN | EPOLLHUP)) mask |= CURL_CSELECT_IN;
      if (got & EPOLLOUT) mask |= CURL_CSELECT_OUT;
      if (got & EPOLLERR) mask |= CURL_CSELECT_ERR;
      curl_multi_socket_action(multi, fd, mask, &still_running);
    }
  }
  failAll();
}

Result<UrlParts> parseUrl(const std::string& url) {
  struct Handle {
    CURLU* h = curl_url();
    ~Handle() { curl_url_cleanup(h); }
  } u;
  if (!u.h) return Error::permanent(ErrorKind::kInternal, "out of memory", "bad_url");
  if (curl_url_set(u.h, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return Error::permanent(ErrorKind::kConfig, "not an absolute http(s) URL", "bad_url");
  auto part = [&](CURLUPart which, unsigned flags, bool* present = nullptr) -> std::string {
    char* value = nullptr;
    CURLUcode rc = curl_url_get(u.h, which, &value, flags);
    if (present) *present = rc == CURLUE_OK;
    std::string out = rc == CURLUE_OK && value ? value : "";
    curl_free(value);
    return out;
  };
  UrlParts p;
  p.scheme = part(CURLUPART_SCHEME, 0);
  for (char& c : p.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (p.scheme != "http" && p.scheme != "https")
    return Error::permanent(ErrorKind::kConfig, "only http and https URLs are allowed", "bad_url");
  p.host = part(CURLUPART_HOST, 0);
  p.port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  p.path = part(CURLUPART_PATH, 0);
  p.query = part(CURLUPART_QUERY, 0);
  bool has_user = false, has_password = false;
  part(CURLUPART_USER, 0, &has_user);
  part(CURLUPART_PASSWORD, 0, &has_password);
  p.has_userinfo = has_user || has_password;
  if (p.host.empty()) return Error::permanent(ErrorKind::kConfig, "the URL has no host", "bad_url");
  return p;
}

}  // namespace o365fwd
