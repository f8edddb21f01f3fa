// Baselines for bench/run_once_bench.sh, measured on the same simulator data set as the forwarder
// run: (1) download-only — list every blob of every content type of one tenant and GET them all
// through the connector's libcurl-multi transport with 16 transfers in flight, nothing else done;
// (2) parse-only — parseBlobInto() over the same bodies, single-threaded.
// Usage: fetch_parse_bench URL TENANT_GUID CLIENT_ID CLIENT_SECRET [CONCURRENCY]
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include "connector/content_page_parser.h"
#include "connector/http/curl_multi_transport.h"
#include "core/config/config.h"
#include "core/time_format.h"
#include "pipeline/parse/blob_parser.h"

using namespace o365fwd;

namespace {

std::string formEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL TENANT_GUID CLIENT_ID CLIENT_SECRET [CONCURRENCY]\n",
                 argv[0]);
    return 2;
  }
  std::string url = argv[1], tenant = argv[2], client = argv[3], secret = argv[4];
  int concurrency = argc > 5 ? std::atoi(argv[5]) : 16;
  CurlTransportOptions options;
  options.max_concurrent = concurrency;
  auto transport = CurlMultiTransport::create(options);
  if (!transport.ok()) return 1;
  HttpTransport& http = **transport;

  HttpRequest token_request;
  token_request.method = "POST";
  token_request.url = url + "/" + tenant + "/oauth2/v2.0/token";
  token_request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  token_request.body = "grant_type=client_credentials&client_id=" + formEncode(client) +
                       "&client_secret=" + formEncode(secret) +
                       "&scope=" + formEncode(url + "/.default");
  auto token_response = executeBlocking(http, token_request);
  if (!token_response.ok() || token_response->status != 200) {
    std::fprintf(stderr, "token request failed\n");
    return 1;
  }
  rapidjson::Document doc;
  doc.Parse(token_response->body.c_str());
  std::string token = doc["access_token"].GetString();

  // List every blob of the last 24 h (the forwarder's initial_lookback) of every content type.
  auto now = std::chrono::system_clock::now();
  std::vector<ContentRef> refs;
  std::string root = url + "/api/v1.0/" + tenant + "/activity/feed/";
  for (const char* ct : kContentTypes) {
    HttpRequest start;
    start.method = "POST";
    start.url = root + "subscriptions/start?contentType=" + ct + "&PublisherIdentifier=" + tenant;
    start.bearer_token = token;
    (void)executeBlocking(http, start);
    std::string next = root + "subscriptions/content?contentType=" + ct +
                       "&startTime=" + formatApiTime(now - std::chrono::hours(24)) +
                       "&endTime=" + formatApiTime(now) + "&PublisherIdentifier=" + tenant;
    while (!next.empty()) {
      HttpRequest list;
      list.url = next;
      list.bearer_token = token;
      auto page = executeBlocking(http, list);
      if (!page.ok() || page->status != 200) {
        std::fprintf(stderr, "listing failed\n");
        return 1;
      }
      auto parsed = parseContentPage(page->body, StreamKey{"bench", ct});
      if (!parsed.ok()) return 1;
      refs.insert(refs.end(), parsed->refs.begin(), parsed->refs.end());
      auto header = page->header("NextPageUri");
      next = header ? std::string(*header) : "";
    }
  }

  // Download-only baseline.
  std::vector<std::string> bodies(refs.size());
  std::mutex mu;
  std::condition_variable cv;
  std::size_t done = 0;
  std::atomic<std::uint64_t> bytes{0};
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    HttpRequest get;
    get.url = refs[i].content_uri + "?PublisherIdentifier=" + tenant;
    get.bearer_token = token;
    get.max_response_bytes = 1ull << 31;
    http.submit(get, [&, i](Result<HttpResponse> r) {
      if (r.ok()) {
        bytes += r->body.size();
        bodies[i] = std::move(r->body);
      }
      std::lock_guard lock(mu);
      ++done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == refs.size(); });
  }
  double download_s = seconds(std::chrono::steady_clock::now() - t0);

  // Parse-only baseline over the same bodies.
  std::uint64_t records = 0;
  auto t1 = std::chrono::steady_clock::now();
  const double cpu0 = threadCpuSeconds();
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    RecordBatch batch;
    batch.content = refs[i];
    batch.body = std::move(bodies[i]);
    if (parseBlobInto(batch).ok()) records += batch.records.size();
  }
  double parse_s = seconds(std::chrono::steady_clock::now() - t1);
  const double parse_cpu_s = threadCpuSeconds() - cpu0;
  double mb = static_cast<double>(bytes.load()) / (1024.0 * 1024.0);
  std::printf("blobs=%zu records=%llu bytes_mib=%.1f\n", refs.size(),
              static_cast<unsigned long long>(records), mb);
  std::printf(
      "download_only_seconds=%.2f download_only_records_per_s=%.0f download_only_mib_per_s=%.1f\n",
      download_s, static_cast<double>(records) / download_s, mb / download_s);
  std::printf("parse_only_seconds=%.2f parse_only_records_per_s=%.0f parse_only_mib_per_s=%.1f\n",
              parse_s, static_cast<double>(records) / parse_s, mb / parse_s);
  // The parse's own CPU time (this thread): what a record costs when the machine is shared.
  std::printf("parse_only_cpu_seconds=%.2f parse_only_cpu_us_per_record=%.2f\n", parse_cpu_s,
              parse_cpu_s * 1e6 / static_cast<double>(records));
  http.shutdown();
  return 0;
}
