// ApiService: content listing (windows, visibility, NextPageUri paging) and blob retrieval.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "sim/api_service.h"
#include "sim/json_text.h"
#include "sim/records/gzip_bomb.h"

namespace o365fwd::sim {
namespace {

// Percent-encodes a query value, keeping the characters timestamps use unencoded.
std::string queryEscape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string isoMillis(std::int64_t ms) {
  return formatIsoMillis(WallTime(std::chrono::milliseconds(ms)));
}

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

std::string gzip(const std::string& plain) {
  std::string out;
  httplib::detail::gzip_compressor compressor;
  compressor.compress(plain.data(), plain.size(), true, [&](const char* data, size_t n) {
    out.append(data, n);
    return true;
  });
  return out;
}

}  // namespace

std::uint64_t ApiService::prebuildGzipBodies(int threads) {
  struct Job {
    size_t tenant, content_type, blob;
  };
  std::vector<Job> jobs;
  for (size_t t = 0; t < d_.tenants.size(); ++t) {
    for (size_t ct = 0; ct < kContentTypeCount; ++ct) {
      const BlobStream* stream = d_.data.stream(t, ct);
      if (stream == nullptr) continue;
      for (size_t i = 0; i < stream->size(); ++i) {
        const BlobMeta& m = stream->blob(i);
        if (!m.bomb && !m.large) jobs.push_back(Job{t, ct, i});
      }
    }
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::string plain;
    for (size_t j; (j = next.fetch_add(1)) < jobs.size();) {
      const Job& job = jobs[j];
      plain.clear();
      d_.data.stream(job.tenant, job.content_type)->renderBody(job.blob, plain);
      d_.cache.pin(BodyCache::Key{job.tenant, job.content_type, job.blob, true},
                   std::make_shared<const std::string>(gzip(plain)));
    }
  };
  std::vector<std::thread> workers;
  for (int i = 1; i < std::max(threads, 1); ++i) workers.emplace_back(work);
  work();
  for (std::thread& w : workers) w.join();
  return d_.cache.pinnedBytes();
}

void ApiService::content(Call& c) {
  auto ct = contentTypeParam(c, true);
  if (!ct) return;
  const std::string name(kContentTypes[*ct]);
  if (auditingOff(c, "ListContent", name)) return;
  SubscriptionState sub = d_.state.tenant(c.tenant).subscriptions[*ct];
  if (sub == SubscriptionState::kDisabledByAdmin)
    return afError(
        c.res, 400, "AF20023",
        "The subscription " + name + " was disabled by a tenant or service administrator.");
  if (sub != SubscriptionState::kEnabled)
    return afError(c.res, 400, "AF20022", "No subscription found for the specified content type.");
  const GlobalRuntime g = d_.state.global();
  const std::int64_t now = d_.state.nowMs();
  WindowCheck w = checkWindow(param(c.req, "startTime"), param(c.req, "endTime"), now,
                              g.faults.window_error_code);
  if (!w.ok) return afError(c.res, 400, w.code, w.message);

  const BlobStream* stream = d_.data.stream(c.tenant, *ct);
  const size_t size = stream != nullptr ? stream->size() : 0;
  size_t pos = stream != nullptr ? stream->lowerBound(w.window.start_ms) : 0;
  auto token = param(c.req, "nextPage");
  if (token) {
    auto p = d_.pages.decode(*token, c.tenant, *ct, w.window);
    if (!p || *p > size)
      return afError(c.res, 400, "AF20031", "Invalid nextPage Input: " + *token + ".");
    pos = std::max(pos, *p);
  }
  // Blobs in [start, end) that are visible now, in contentCreated order.
  auto listed = [&](size_t i) {
    const BlobMeta& m = stream->blob(i);
    return m.visible_ms <= now;
  };
  std::string body = "[";
  const std::string content_base =
      g.faults.content_uri_base.empty() ? c.base : g.faults.content_uri_base;
  size_t served = 0;
  size_t i = pos;
  for (; i < size && stream->blob(i).created_ms < w.window.end_ms; ++i) {
    if (!listed(i)) continue;
    if (served == static_cast<size_t>(g.page_size)) break;
    const BlobMeta& m = stream->blob(i);
    const std::string id = stream->contentId(i);
    if (served++ > 0) body += ",";
    body +=
        "{\"contentType\":" + jsonString(name) + ",\"contentId\":" + jsonString(id) +
        ",\"contentUri\":" +
        jsonString(content_base + "/api/v1.0/" + c.tenant_segment + "/activity/feed/audit/" + id) +
        ",\"contentCreated\":\"" + isoMillis(m.created_ms) + "\",\"contentExpiration\":\"" +
        isoMillis(m.expires_ms) + "\"}";
  }
  body += "]";
  // More results exist when a listed blob remains inside the window.
  size_t next = i;
  while (next < size && stream->blob(next).created_ms < w.window.end_ms && !listed(next)) ++next;
  bool more = next < size && stream->blob(next).created_ms < w.window.end_ms;
  if (g.faults.next_page_loop && token) more = true;
  if (more) {
    std::string next_token =
        g.faults.next_page_loop && token ? *token : d_.pages.encode(c.tenant, *ct, w.window, next);
    std::string uri = c.base + "/api/" + g.faults.next_page_api_version + "/" + c.tenant_segment +
                      "/activity/feed/subscriptions/content?contentType=" + name +
                      "&startTime=" + queryEscape(w.window.start_text) +
                      "&endTime=" + queryEscape(w.window.end_text) + "&nextPage=" + next_token;
    if (c.publisher && !g.faults.next_page_omit_publisher)
      uri += "&PublisherIdentifier=" + queryEscape(*c.publisher);
    c.res.set_header("NextPageUri", uri);
  }
  d_.stats.contentListing(!token.has_value());
  json(c.res, 200, body);
}

void ApiService::blob(Call& c, const std::string& content_id) {
  auto parts = parseContentId(content_id);
  if (!parts)
    return afError(c.res, 400, "AF20052",
                   "The content ID " + content_id + " in the URL is invalid.");
  const BlobStream* stream = d_.data.stream(c.tenant, parts->content_type);
  // (A plain index rather than std::optional: GCC's -O3 flow analysis misreports the latter.)
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t index = kNone;
  if (stream != nullptr) {
    if (auto found = stream->find(*parts)) index = *found;
  }
  const std::int64_t now = d_.state.nowMs();
  if (index == kNone || stream->blob(index).visible_ms > now)
    return afError(c.res, 404, "AF20050",
                   "The specified content (" + content_id + ") doesn't exist.");
  const BlobMeta& m = stream->blob(index);
  if (now >= m.expires_ms)
    return afError(c.res, 400, "AF20051",
                   "Content requested with the key " + content_id +
                       " has already expired. Content older than 7 days cannot be retrieved.");
  bool broken = false;
  if (m.invalid) {
    int n = d_.state.countFetch(c.tenant, parts->content_type, index);
    int limit = stream->knobs().invalid_json_fetches;
    broken = limit == 0 || n <= limit;
  }
  if (m.bomb) return serveBomb(c, static_cast<std::uint64_t>(stream->knobs().bomb_mb) << 20);
  if (m.large && !broken) return serveLargeBody(c, *stream, index);
  serveBody(c, parts->content_type, index, broken);
}

void ApiService::serveLargeBody(Call& c, const BlobStream& stream, size_t index) {
  constexpr std::uint32_t kRecordsPerPart = 4096;  // about 4 MiB of JSON
  auto next = std::make_shared<std::uint32_t>(0);
  const std::uint32_t count = stream.blob(index).count;
  d_.stats.blobServed(0);
  c.res.status = 200;
  c.res.set_header("Vary", "Accept-Encoding");
  c.res.set_chunked_content_provider(
      kJsonType, [this, &stream, index, next, count](size_t, httplib::DataSink& sink) {
        std::string part;
        const std::uint32_t to = std::min<std::uint32_t>(count, *next + kRecordsPerPart);
        stream.renderBodyPart(index, *next, to, part);
        *next = to;
        d_.stats.blobBytesServed(part.size());
        if (!sink.write(part.data(), part.size())) return false;
        if (to == count) sink.done();
        return true;
      });
}

void ApiService::serveBomb(Call& c, std::uint64_t decoded_bytes) {
  // Sent gzip whatever the client asked for: that is what a hostile server does.
  auto bomb = std::make_shared<const GzipBomb>(decoded_bytes);
  d_.stats.blobServed(bomb->encodedSize());
  c.res.status = 200;
  c.res.set_header("Content-Encoding", "gzip");
  c.res.set_content_provider(bomb->encodedSize(), kJsonType,
                             [bomb](size_t offset, size_t length, httplib::DataSink& sink) {
                               std::string piece;
                               bomb->read(offset, std::min<size_t>(length, 1 << 20), piece);
                               return sink.write(piece.data(), piece.size());
                             });
}

void ApiService::serveBody(Call& c, size_t content_type, size_t index, bool broken) {
  const BlobStream* stream = d_.data.stream(c.tenant, content_type);
  const bool want_gzip =
      c.req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
  BodyCache::Key plain_key{c.tenant, content_type, index, false};
  BodyCache::Key gzip_key{c.tenant, content_type, index, true};
  BodyCache::Body body = broken ? nullptr : d_.cache.get(want_gzip ? gzip_key : plain_key);
  if (!body) {
    BodyCache::Body plain = broken || !want_gzip ? nullptr : d_.cache.get(plain_key);
    if (!plain) {
      auto text = std::make_shared<std::string>();
      if (broken) {
        stream->renderBrokenBody(index, *text);
      } else {
        stream->renderBody(index, *text);
      }
      plain = std::move(text);
      if (!broken) d_.cache.put(plain_key, plain);
    }
    body = plain;
    if (want_gzip) {
      body = std::make_shared<const std::string>(gzip(*plain));
      if (!broken) d_.cache.put(gzip_key, body);
    }
  }
  if (broken) d_.stats.brokenBlobServed();
  d_.stats.blobServed(body->size());
  c.res.status = 200;
  if (want_gzip) c.res.set_header("Content-Encoding", "gzip");
  c.res.set_header("Vary", "Accept-Encoding");
  c.res.set_content_provider(
      body->size(), kJsonType, [body](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(body->data() + offset, std::min<size_t>(length, 1 << 20));
      });
}

}  // namespace o365fwd::sim
