#pragma once
// A scripted HttpTransport for unit tests (never production). Replies are chosen per request:
//   1. the handler, if set and it returns a reply;
//   2. the oldest one-shot reply queued for a URL fragment the request URL contains (rules are
//      tried in the order they were first used);
//   3. the default reply of the first matching fragment;
//   4. otherwise an Error kInternal "no scripted response", so a missing script fails loudly.
// Every request is recorded (method, URL, host, headers, body, whether a bearer token was
// attached). Thread-safe. `done` runs inline on the submitting thread, before submit() returns.
#include <cctype>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connector/http/http_transport.h"
#include "core/result.h"
#include "core/secrets/crypto.h"

namespace o365fwd::testing {

// Lower-case host of an absolute URL, without port or userinfo; empty when there is none.
inline std::string hostOf(const std::string& url) {
  std::size_t start = url.find("://");
  if (start == std::string::npos) return {};
  start += 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (std::size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') {
    authority = authority.substr(0, authority.find(']') + 1);
  } else if (std::size_t colon = authority.find(':'); colon != std::string::npos) {
    authority.erase(colon);
  }
  for (char& c : authority) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return authority;
}

// An unsigned JWT ("alg":"none") whose payload is `claims_json`, shaped like an Entra token.
inline std::string fakeJwt(const std::string& claims_json) {
  return crypto::base64UrlEncode(R"({"typ":"JWT","alg":"none"})") + "." +
         crypto::base64UrlEncode(claims_json) + ".c2lnbmF0dXJl";
}

class FakeTransport final : public HttpTransport {
 public:
  using Reply = Result<HttpResponse>;
  using Handler = std::function<std::optional<Reply>(const HttpRequest&)>;

  struct Recorded {
    std::string method;
    std::string url;
    std::string host;
    Headers headers;
    std::string body;
    bool had_bearer = false;
    std::string bearer_token;
    std::uint64_t max_response_bytes = 0;
  };

  static HttpResponse response(int status, std::string body, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    if (!r.header("Content-Type"))
      r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    return r;
  }
  static Reply transportError(std::string message = "Connection refused") {
    return Error::retryableError(ErrorKind::kTransport, std::move(message), "curl 7");
  }
  // A v2 token endpoint success.
  static HttpResponse tokenResponse(const std::string& access_token, long long expires_in = 3599) {
    return response(200, R"({"token_type":"Bearer","expires_in":)" + std::to_string(expires_in) +
                             R"(,"ext_expires_in":)" + std::to_string(expires_in) +
                             R"(,"access_token":")" + access_token + "\"}");
  }

  void enqueue(std::string url_part, Reply reply) {
    std::lock_guard lock(mu_);
    rule(url_part).queued.push_back(std::move(reply));
  }
  void setDefault(std::string url_part, Reply reply) {
    std::lock_guard lock(mu_);
    rule(url_part).fallback = std::move(reply);
  }
  void setHandler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }

  void submit(HttpRequest request, HttpDone done) override {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      Recorded r;
      r.method = request.method;
      r.url = request.url;
      r.host = hostOf(request.url);
      r.headers = request.headers;
      r.body = request.body;
      r.had_bearer = !request.bearer_token.empty();
      r.bearer_token = request.bearer_token;
      r.max_response_bytes = request.max_response_bytes;
      recorded_.push_back(std::move(r));
      handler = handler_;
    }
    if (request.stop.stop_requested()) {
      done(Error::permanent(ErrorKind::kCancelled, "request cancelled"));
      return;
    }
    if (handler) {
      if (std::optional<Reply> reply = handler(request)) {
        done(std::move(*reply));
        return;
      }
    }
    done(scripted(request));
  }
  std::size_t inFlight() const override { return 0; }
  void shutdown() override {}

  std::vector<Recorded> requests() const {
    std::lock_guard lock(mu_);
    return recorded_;
  }
  // Requests whose URL contains `url_part`.
  std::size_t count(std::string_view url_part) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& r : recorded_)
      if (r.url.find(url_part) != std::string::npos) ++n;
    return n;
  }
  void clearRecorded() {
    std::lock_guard lock(mu_);
    recorded_.clear();
  }

 private:
  struct Rule {
    std::string url_part;
    std::deque<Reply> queued;
    std::optional<Reply> fallback;
  };

  Rule& rule(const std::string& url_part) {
    for (auto& r : rules_)
      if (r.url_part == url_part) return r;
    rules_.push_back(Rule{url_part, {}, std::nullopt});
    return rules_.back();
  }

  Reply scripted(const HttpRequest& request) {
    std::lock_guard lock(mu_);
    for (auto& r : rules_) {
      if (request.url.find(r.url_part) == std::string::npos || r.queued.empty()) continue;
      Reply reply = std::move(r.queued.front());
      r.queued.pop_front();
      return reply;
    }
    for (auto& r : rules_)
      if (request.url.find(r.url_part) != std::string::npos && r.fallback) return *r.fallback;
    return Error::permanent(ErrorKind::kInternal, "FakeTransport: no scripted response for " +
                                                      request.method + " " + request.url);
  }

  mutable std::mutex mu_;
  std::deque<Rule> rules_;  // deque: references stay valid as rules are added
  Handler handler_;
  std::vector<Recorded> recorded_;
};

}  // namespace o365fwd::testing
