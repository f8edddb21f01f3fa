// CurlMultiTransport's gzip path against a real cpp-httplib server: a gzip body is stored as it
// arrives and decoded whole (GzipInflater) after the body budget granted its trailer's size;
// anything that does not decode so is fetched again with libcurl decoding it as it arrives.
#include <gtest/gtest.h>

#include "connector/http/curl_multi_transport.h"

#if defined(CPPHTTPLIB_ZLIB_SUPPORT)

#include <httplib.h>
#include <zlib.h>

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

constexpr auto kSafety = 30s;  // real-time safety net for waits (never an assertion about speed)

std::string zlibCompress(const std::string& plain, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, plain.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string gzip(const std::string& plain) {
  return zlibCompress(plain, 15 + 16);
}

std::string records(int n, const std::string& tag) {
  std::string body = "[";
  for (int i = 0; i < n; ++i)
    body += R"({"Id":")" + tag + std::to_string(i) + R"(","Operation":"FileAccessed"},)";
  body.back() = ']';
  return body;
}

// A body budget whose answers the test scripts; counts what it granted. Called on the I/O thread.
class ScriptedBudget final : public BodyBudget {
 public:
  Grant grow(std::uint64_t bytes) override {
    std::lock_guard lock(mu_);
    ++asks_;
    if (bytes >= never_from_) return Grant::kNever;
    if (waits_left_ > 0 && bytes >= wait_from_) {
      --waits_left_;
      ++waits_;
      return Grant::kWait;
    }
    granted_ += bytes;
    return Grant::kGranted;
  }
  bool preempted() const override {
    std::lock_guard lock(mu_);
    return preempt_;
  }
  void discard() override {
    std::lock_guard lock(mu_);
    granted_ = 0;
    ++discards_;
  }
  void set(std::uint64_t never_from, std::uint64_t wait_from, int waits, bool preempt) {
    std::lock_guard lock(mu_);
    never_from_ = never_from, wait_from_ = wait_from, waits_left_ = waits, preempt_ = preempt;
  }
  std::uint64_t granted() const {
    std::lock_guard lock(mu_);
    return granted_;
  }
  int waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }
  int discards() const {
    std::lock_guard lock(mu_);
    return discards_;
  }

 private:
  mutable std::mutex mu_;
  std::uint64_t never_from_ = UINT64_MAX, wait_from_ = UINT64_MAX;
  int waits_left_ = 0, waits_ = 0, asks_ = 0, discards_ = 0;
  bool preempt_ = false;
  std::uint64_t granted_ = 0;
};

class CurlGzipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_ = records(3000, "r");  // ~130 KB decoded
    const std::string second = records(1000, "s");
    serve("/gz/one", gzip(plain_), "gzip");
    serve("/gz/two", gzip(plain_) + gzip(second), "gzip");
    std::string understated = gzip(plain_);
    understated.replace(understated.size() - 4, 4, std::string("\x10\0\0\0", 4));  // 16 bytes
    serve("/gz/understated", understated, "gzip");
    serve("/gz/notgzip", plain_, "gzip");
    serve("/gz/deflate", zlibCompress(plain_, 15), "deflate");
    serve("/gz/identity", plain_, "");
    serve("/gz/empty", "", "gzip");
    server_.Post("/gz/post", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        accept_["/gz/post"].push_back(req.get_header_value("Accept-Encoding"));
      }
      auto body = std::make_shared<const std::string>(gzip(plain_));
      res.set_header("Content-Encoding", "gzip");
      res.set_content_provider(body->size(), "application/octet-stream",
                               [body](size_t offset, size_t length, httplib::DataSink& sink) {
                                 return sink.write(body->data() + offset,
                                                   std::min(length, body->size() - offset));
                               });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    for (auto waited = 0ms; !server_.is_running() && waited < kSafety; waited += 1ms)
      std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(server_.is_running());
    auto created = CurlMultiTransport::create(CurlTransportOptions{});
    ASSERT_TRUE(created.ok());
    transport_ = std::move(*created);
  }

  void TearDown() override {
    transport_.reset();
    server_.stop();
    listener_.join();
  }

  // Serves `bytes` as they are, with this Content-Encoding (a content provider: never compressed
  // again by the server); notes each request's Accept-Encoding.
  void serve(const std::string& path, std::string bytes, std::string encoding) {
    auto body = std::make_shared<const std::string>(std::move(bytes));
    server_.Get(
        path, [this, path, body, encoding](const httplib::Request& req, httplib::Response& res) {
          {
            std::lock_guard lock(mu_);
            accept_[path].push_back(req.get_header_value("Accept-Encoding"));
          }
          if (!encoding.empty()) res.set_header("Content-Encoding", encoding);
          if (body->empty()) return res.set_content("", "application/octet-stream");
          res.set_content_provider(body->size(), "application/octet-stream",
                                   [body](size_t offset, size_t length, httplib::DataSink& sink) {
                                     return sink.write(body->data() + offset,
                                                       std::min(length, body->size() - offset));
                                   });
        });
  }

  std::vector<std::string> acceptSeen(const std::string& path) {
    std::lock_guard lock(mu_);
    return accept_[path];
  }

  Result<HttpResponse> get(const std::string& path, BodyBudget* budget = nullptr,
                           std::uint64_t max_bytes = 16u << 20) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    r.body_budget = budget;
    r.max_response_bytes = max_bytes;
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    transport_->submit(std::move(r),
                       [promise](Result<HttpResponse> res) { promise->set_value(std::move(res)); });
    if (future.wait_for(kSafety) != std::future_status::ready)
      return Error::permanent(ErrorKind::kInternal, "test: no completion within the safety limit");
    return future.get();
  }

  std::string plain_;
  httplib::Server server_;
  std::thread listener_;
  int port_ = 0;
  std::unique_ptr<CurlMultiTransport> transport_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> accept_;
};

TEST_F(CurlGzipTest, AGzipBodyIsDecodedWholeAndTheBudgetEndsAtItsDecodedSize) {
  ScriptedBudget budget;
  auto r = get("/gz/one", &budget);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, plain_);
  EXPECT_EQ(budget.granted(), plain_.size()) << "the gzip bytes, then the rest of the decoded size";
  EXPECT_EQ(acceptSeen("/gz/one"), std::vector<std::string>{"gzip"}) << "fetched once, gzip only";
}

TEST_F(CurlGzipTest, APostIsDecodedByLibcurlAndAnEmptyGzipBodyIsEmpty) {
  HttpRequest post;
  post.method = "POST";
  post.url = "http://127.0.0.1:" + std::to_string(port_) + "/gz/post";
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  transport_->submit(std::move(post),
                     [promise](Result<HttpResponse> res) { promise->set_value(std::move(res)); });
  ASSERT_EQ(future.wait_for(kSafety), std::future_status::ready);
  auto r = future.get();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, plain_);
  auto seen = acceptSeen("/gz/post");
  ASSERT_EQ(seen.size(), 1u) << "a POST is never sent twice";
  EXPECT_NE(seen[0], "gzip") << "every encoding libcurl decodes: " << seen[0];

  auto empty = get("/gz/empty");
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_TRUE(empty->body.empty());
  EXPECT_EQ(acceptSeen("/gz/empty").size(), 1u);
}

TEST_F(CurlGzipTest, UnencodedBodiesAreStoredAsTheyArrive) {
  ScriptedBudget budget;
  auto r = get("/gz/identity", &budget);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, plain_);
  EXPECT_EQ(budget.granted(), plain_.size());
  EXPECT_EQ(acceptSeen("/gz/identity").size(), 1u);
}

TEST_F(CurlGzipTest, AnEncodingNotAskedForIsFetchedAgainAndDecodedByLibcurl) {
  ScriptedBudget budget;
  auto deflated = get("/gz/deflate", &budget);
  ASSERT_TRUE(deflated.ok()) << deflated.error().describe();
  EXPECT_EQ(deflated->body, plain_);
  EXPECT_EQ(budget.granted(), plain_.size()) << "the second fetch's decoded bytes";
  EXPECT_EQ(budget.discards(), 1) << "the first fetch's bytes were given back";
  auto seen = acceptSeen("/gz/deflate");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "gzip");
  EXPECT_NE(seen[1].find("deflate"), std::string::npos) << seen[1];
}

TEST_F(CurlGzipTest, SeveralGzipMembersFailAsBeforeWithEveryByteGivenBack) {
  // The trailer gives only the last member's size, so the body does not decode into it; libcurl,
  // which then decodes it, refuses bytes after the first member (it did before this path too).
  ScriptedBudget budget;
  auto two = get("/gz/two", &budget);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().kind, ErrorKind::kTransport) << two.error().describe();
  EXPECT_TRUE(two.error().retryable);
  EXPECT_EQ(acceptSeen("/gz/two").size(), 2u);
  EXPECT_EQ(budget.granted(), 0u);
}

TEST_F(CurlGzipTest, AnUnderstatingTrailerOrABodyThatIsNotGzipFailsAsBeforeAfterOneMoreFetch) {
  // libcurl's zlib checks the size in the trailer too: the body is corrupt, and says so.
  for (const char* path : {"/gz/understated", "/gz/notgzip"}) {
    ScriptedBudget budget;
    auto r = get(path, &budget);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().kind, ErrorKind::kTransport) << r.error().describe();
    EXPECT_EQ(acceptSeen(path).size(), 2u) << path;
    EXPECT_EQ(budget.granted(), 0u) << path << ": every byte given back";
  }
}

TEST_F(CurlGzipTest, ATrailerOverTheLimitsFailsWithoutDecoding) {
  // Over max_response_bytes.
  auto too_large = get("/gz/one", nullptr, plain_.size() - 1);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, "response_too_large") << too_large.error().describe();
  EXPECT_FALSE(too_large.error().retryable);
  // Over the whole budget, which is also under max_response_bytes: the budget is named.
  ScriptedBudget small;
  small.set(/*never_from=*/plain_.size() / 2, UINT64_MAX, 0, false);
  auto over = get("/gz/one", &small, plain_.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, "exceeds_inflight_budget") << over.error().describe();
  // Only the budget: its decoded size asked at once, refused.
  ScriptedBudget refusing;
  refusing.set(plain_.size() / 2, UINT64_MAX, 0, false);
  auto refused = get("/gz/one", &refusing);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "exceeds_inflight_budget") << refused.error().describe();
  EXPECT_EQ(refusing.granted(), 0u);
  EXPECT_EQ(acceptSeen("/gz/one").size(), 3u) << "no fetch again for a trailer over a limit";
}

TEST_F(CurlGzipTest, ABodyWaitingForItsDecodedSizeIsDecodedOnceGranted) {
  ScriptedBudget budget;
  // Pieces of the gzip body pass; the decoded size (far larger) waits three times.
  budget.set(UINT64_MAX, /*wait_from=*/plain_.size() / 2, /*waits=*/3, false);
  auto r = get("/gz/one", &budget);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, plain_);
  EXPECT_EQ(budget.waits(), 3);
  EXPECT_EQ(budget.granted(), plain_.size());
}

TEST_F(CurlGzipTest, ABodyWaitingForItsDecodedSizeCanBePreempted) {
  ScriptedBudget budget;
  budget.set(UINT64_MAX, plain_.size() / 2, /*waits=*/1000000, /*preempt=*/true);
  auto r = get("/gz/one", &budget);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "memory_budget") << r.error().describe();
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(budget.granted(), 0u);
  EXPECT_EQ(transport_->inFlight(), 0u);
}

TEST_F(CurlGzipTest, AStopRequestEndsAWaitForTheDecodedSize) {
  ScriptedBudget budget;
  budget.set(UINT64_MAX, plain_.size() / 2, /*waits=*/1000000, false);
  std::stop_source stop;
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port_) + "/gz/one";
  r.body_budget = &budget;
  r.stop = stop.get_token();
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  transport_->submit(std::move(r),
                     [promise](Result<HttpResponse> res) { promise->set_value(std::move(res)); });
  for (auto waited = 0ms; budget.waits() == 0 && waited < kSafety; waited += 5ms)
    std::this_thread::sleep_for(5ms);
  ASSERT_GT(budget.waits(), 0);
  stop.request_stop();
  ASSERT_EQ(future.wait_for(kSafety), std::future_status::ready);
  auto result = future.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(budget.granted(), 0u);
}

}  // namespace
}  // namespace o365fwd

#endif  // CPPHTTPLIB_ZLIB_SUPPORT
