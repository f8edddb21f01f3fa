// CurlMultiTransport against a real cpp-httplib server on 127.0.0.1 (an ephemeral port).
// cpp-httplib must be compiled with the feature defines from its pkg-config file, so this test is
// active only when the test target links PkgConfig::HTTPLIB (which adds them).
#include "connector/http/curl_multi_transport.h"

#include <gtest/gtest.h>

#if defined(CPPHTTPLIB_ZLIB_SUPPORT)

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

// Real-time safety net for waits on the transport (never an assertion about speed).
constexpr auto kSafety = 30s;

class CurlMultiTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.new_task_queue = [] { return new httplib::ThreadPool(48); };
    server_.set_keep_alive_timeout(1);
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello", "text/plain");
    });
    server_.Get("/auth", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("Authorization"), "text/plain");
    });
    server_.Post("/post", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Seen-Length", req.get_header_value("Content-Length"));
      res.set_header("X-Seen-Body", req.body);
      res.set_content("{}", "application/json");
    });
    server_.Get("/redirect", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/hello");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(200 * 1024, 'b'), "application/octet-stream");
    });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/octet-stream",
                                       [](size_t offset, httplib::DataSink& sink) {
                                         if (offset >= 10 * 1024 * 1024) {
                                           sink.done();
                                           return true;
                                         }
                                         std::string chunk(64 * 1024, 'c');
                                         return sink.write(chunk.data(), chunk.size());
                                       });
    });
    server_.Get("/json", [](const httplib::Request&, httplib::Response& res) {
      std::string body = "[";
      for (int i = 0; i < 2000; ++i)
        body += R"({"Id":"record-)" + std::to_string(i) + R"(","Operation":"FileAccessed"},)";
      body.back() = ']';
      res.set_content(body, "application/json");
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mu_);
      ++slow_arrived_;
      cv_.notify_all();
      cv_.wait_for(lock, 5s, [this] { return released_; });
      res.set_content("late", "text/plain");
    });
    server_.Get("/concurrent", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mu_);
      ++current_;
      max_seen_ = std::max(max_seen_, current_);
      cv_.notify_all();
      // Hold until the limit was reached once, so the test sees full concurrency.
      cv_.wait_for(lock, 5s, [this] { return max_seen_ >= gate_; });
      --current_;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost and TearDown would hang in join().
    for (auto waited = 0ms; !server_.is_running() && waited < kSafety; waited += 1ms)
      std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(server_.is_running());
  }

  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      released_ = true;
      cv_.notify_all();
    }
    transport_.reset();  // closes cached connections, so server threads are not held by keep-alive
    server_.stop();
    listener_.join();
  }

  CurlMultiTransport& transport(int max_concurrent = 4) {
    CurlTransportOptions o;
    o.max_concurrent = max_concurrent;
    auto created = CurlMultiTransport::create(o);
    EXPECT_TRUE(created.ok());
    transport_ = std::move(*created);
    return *transport_;
  }

  HttpRequest get(const std::string& path) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    return r;
  }

  static Result<HttpResponse> run(HttpTransport& t, HttpRequest request) {
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    t.submit(std::move(request),
             [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(kSafety) != std::future_status::ready)
      return Error::permanent(ErrorKind::kInternal, "test: no completion within the safety limit");
    return future.get();
  }

  httplib::Server server_;
  std::thread listener_;
  int port_ = 0;
  std::unique_ptr<CurlMultiTransport> transport_;
  std::mutex mu_;
  std::condition_variable cv_;
  int slow_arrived_ = 0;
  bool released_ = false;
  int current_ = 0;
  int max_seen_ = 0;
  int gate_ = 1 << 30;
};

TEST_F(CurlMultiTransportTest, GetReturnsStatusHeadersAndBody) {
  auto r = run(transport(), get("/hello"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->header("content-type").value_or(""), "text/plain");
  EXPECT_TRUE(r->header("CONTENT-LENGTH").has_value()) << "lookup is case-insensitive";
}

TEST_F(CurlMultiTransportTest, BearerTokenArrivesAsAuthorizationHeader) {
  HttpRequest r = get("/auth");
  r.bearer_token = "eyJ0eXAi.test.token";
  auto result = run(transport(), std::move(r));
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_EQ(result->body, "Bearer eyJ0eXAi.test.token");
  auto none = run(*transport_, get("/auth"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->body, "");
}

TEST_F(CurlMultiTransportTest, EmptyPostSendsContentLengthZero) {
  HttpRequest r = get("/post");
  r.method = "POST";
  auto empty = run(transport(), r);
  ASSERT_TRUE(empty.ok()) << empty.error().describe();
  EXPECT_EQ(empty->header("X-Seen-Length").value_or("?"), "0");
  r.body = "a=1&b=2";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto full = run(*transport_, r);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->header("X-Seen-Length").value_or("?"), "7");
  EXPECT_EQ(full->header("X-Seen-Body").value_or("?"), "a=1&b=2");
}

TEST_F(CurlMultiTransportTest, RedirectsAreNotFollowed) {
  auto r = run(transport(), get("/redirect"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->status, 302);
  EXPECT_TRUE(r->header("Location").has_value());
  EXPECT_NE(r->body, "hello");
}

TEST_F(CurlMultiTransportTest, CompressedResponsesAreDecoded) {
  auto r = run(transport(), get("/json"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto encoding = r->header("Content-Encoding");
  ASSERT_TRUE(encoding.has_value()) << "the server did not compress; Accept-Encoding missing?";
  EXPECT_TRUE(*encoding == "gzip" || *encoding == "br" || *encoding == "deflate") << *encoding;
  EXPECT_EQ(r->body.front(), '[');
  EXPECT_EQ(r->body.back(), ']');
  EXPECT_NE(r->body.find(R"({"Id":"record-1999","Operation":"FileAccessed"})"), std::string::npos);
}

TEST_F(CurlMultiTransportTest, SizeCapOnContentLengthChunkedAndDecodedBodies) {
  auto& t = transport();
  for (const char* path : {"/big", "/chunked", "/json"}) {
    HttpRequest r = get(path);
    r.max_response_bytes = 64 * 1024;  // /json is ~100 KB decoded but compresses far below that
    auto result = run(t, r);
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_EQ(result.error().code, "response_too_large")
        << path << ": " << result.error().describe();
    EXPECT_FALSE(result.error().retryable);
    EXPECT_NE(result.error().message.find("65536"), std::string::npos) << result.error().message;
  }
  HttpRequest fits = get("/big");
  fits.max_response_bytes = 200 * 1024;
  auto ok = run(t, fits);
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->body.size(), 200u * 1024);
}

TEST_F(CurlMultiTransportTest, TimeoutIsARetryableTransportError) {
  HttpRequest r = get("/slow");
  r.timeout = 300ms;
  auto result = run(transport(), r);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTransport);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_NE(result.error().message.find("/slow"), std::string::npos) << result.error().message;
}

TEST_F(CurlMultiTransportTest, ConnectionRefusedIsARetryableTransportError) {
  HttpRequest r;
  r.url = "http://127.0.0.1:1/nothing?secret=should-not-appear";
  auto result = run(transport(), r);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTransport);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(result.error().message.find("should-not-appear"), std::string::npos)
      << result.error().message;
}

TEST_F(CurlMultiTransportTest, StopTokenCancelsARunningTransfer) {
  auto& t = transport();
  std::stop_source stop;
  HttpRequest r = get("/slow");
  r.stop = stop.get_token();
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  t.submit(std::move(r),
           [promise](Result<HttpResponse> res) { promise->set_value(std::move(res)); });
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, kSafety, [this] { return slow_arrived_ >= 1; }));
  }
  EXPECT_EQ(t.inFlight(), 1u);
  stop.request_stop();
  ASSERT_EQ(future.wait_for(kSafety), std::future_status::ready);
  auto result = future.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(t.inFlight(), 0u);
}

TEST_F(CurlMultiTransportTest, ConcurrencyLimitIsHonoured) {
  constexpr int kLimit = 3;
  gate_ = kLimit;
  auto& t = transport(kLimit);
  std::vector<std::future<Result<HttpResponse>>> futures;
  for (int i = 0; i < 12; ++i) {
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    futures.push_back(promise->get_future());
    t.submit(get("/concurrent"),
             [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(kSafety), std::future_status::ready);
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }
  std::lock_guard lock(mu_);
  EXPECT_EQ(max_seen_, kLimit);
}

TEST_F(CurlMultiTransportTest, ShutdownCancelsQueuedAndRunningRequests) {
  auto& t = transport(1);
  std::atomic<int> cancelled{0}, calls{0};
  for (int i = 0; i < 5; ++i) {
    t.submit(get("/slow"), [&](Result<HttpResponse> r) {
      ++calls;
      if (!r.ok() && r.error().kind == ErrorKind::kCancelled) ++cancelled;
    });
  }
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, kSafety, [this] { return slow_arrived_ >= 1; }));
  }
  t.shutdown();
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(cancelled.load(), 5);
  EXPECT_EQ(t.inFlight(), 0u);
  bool late_done = false;
  t.submit(get("/hello"), [&](Result<HttpResponse> r) {
    late_done = !r.ok() && r.error().kind == ErrorKind::kCancelled;
  });
  EXPECT_TRUE(late_done) << "a submit after shutdown completes at once with kCancelled";
}

TEST_F(CurlMultiTransportTest, AThousandSmallRequestsEachCompleteExactlyOnce) {
  constexpr int kRequests = 1000;
  auto& t = transport(16);
  std::vector<std::atomic<int>> done(kRequests);
  std::atomic<int> completed{0}, ok{0};
  std::mutex m;
  std::condition_variable all;
  for (int i = 0; i < kRequests; ++i) {
    t.submit(get("/hello"), [&, i](Result<HttpResponse> r) {
      done[i].fetch_add(1);
      if (r.ok() && r->status == 200 && r->body == "hello") ok.fetch_add(1);
      if (completed.fetch_add(1) + 1 == kRequests) {
        std::lock_guard lock(m);
        all.notify_all();
      }
    });
  }
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(all.wait_for(lock, 120s, [&] { return completed.load() == kRequests; }));
  }
  EXPECT_EQ(ok.load(), kRequests);
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(done[i].load(), 1) << "request " << i;
  EXPECT_EQ(t.inFlight(), 0u);
}

}  // namespace
}  // namespace o365fwd

#else  // cpp-httplib flags not on this target

TEST(CurlMultiTransportTest, NeedsCppHttplib) {
  GTEST_SKIP() << "link PkgConfig::HTTPLIB to unit_connector_tests to run the transport tests";
}

#endif
