#pragma once
// Scripted ApiClient for unit tests (never for production or integration tests).
//
// Each URL (exactly as the code under test passes it to call()) gets a sequence of outcomes: a
// response or an Error. Calls consume the sequence in order; once one outcome is left it repeats
// forever. A URL without a script yields ErrorKind::kInternal "unscripted URL" (and is recorded,
// so tests can assert on it). Every call is recorded. Thread-safe.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "connector/api_client.h"

namespace o365fwd::fakes {

class FakeApiClient final : public ApiClient {
 public:
  using Outcome = std::variant<HttpResponse, Error>;

  struct Call {
    ApiCall call;
    std::string method;
    std::string url;
  };

  static HttpResponse json(std::string body, int status = 200, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    r.body = std::move(body);
    return r;
  }
  // An API error as ApiClient classifies it: code kept, permanent unless said otherwise.
  static Error apiError(std::string code, std::string message, ErrorKind kind = ErrorKind::kApi,
                        bool retryable = false) {
    return Error{kind, retryable, std::move(message), std::move(code), std::nullopt};
  }

  // Appends outcomes to the URL's sequence.
  void script(const std::string& url, std::vector<Outcome> outcomes) {
    std::lock_guard lock(mu_);
    auto& queue = scripts_[url];
    for (auto& o : outcomes) queue.push_back(std::move(o));
  }
  void respond(const std::string& url, Outcome outcome) { script(url, {std::move(outcome)}); }
  void fail(const std::string& url, Error error) { script(url, {std::move(error)}); }

  // Runs at the start of every call (outside the lock), e.g. to request a stop or move a clock.
  void onCall(std::function<void(const Call&)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }

  Result<HttpResponse> call(ApiCall call, const std::string& method, const std::string& url,
                            std::stop_token stop) override {
    Call record{call, method, url};
    std::function<void(const Call&)> hook;
    {
      std::lock_guard lock(mu_);
      calls_.push_back(record);
      hook = hook_;
    }
    if (hook) hook(record);
    if (stop.stop_requested()) {
      return Error::permanent(ErrorKind::kCancelled, "fake: stop requested");
    }
    std::lock_guard lock(mu_);
    auto it = scripts_.find(url);
    if (it == scripts_.end() || it->second.empty()) {
      return Error::permanent(ErrorKind::kInternal, "fake: unscripted URL " + url);
    }
    Outcome outcome = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    if (auto* error = std::get_if<Error>(&outcome)) return *error;
    return std::get<HttpResponse>(std::move(outcome));
  }

  std::string tenantGuid() const override { return "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14"; }
  std::chrono::seconds clockSkew() const override {
    std::lock_guard lock(mu_);
    return skew_;
  }
  void setClockSkew(std::chrono::seconds skew) {
    std::lock_guard lock(mu_);
    skew_ = skew;
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::size_t callCount(const std::string& url) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& c : calls_) n += c.url == url;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Outcome>> scripts_;
  std::vector<Call> calls_;
  std::function<void(const Call&)> hook_;
  std::chrono::seconds skew_{0};
};

}  // namespace o365fwd::fakes
