#pragma once
// The Management Activity API under /api/v1.0/{tenant}/activity/feed/ (and /api/v1/...):
// bearer-token checks (401 / AF10001 / AF20013 / AF20010), throttling (AF429 in a 403 or 429),
// transient faults, subscriptions start/stop/list, content listing with windows and
// NextPageUri paging, blob retrieval (plain or gzip, AF20050/51/52, invalid-JSON knob),
// notifications and dlpSensitiveTypes. Called on httplib's worker threads; thread-safe (all
// mutable state lives in the thread-safe collaborators).
#include <httplib.h>

#include <optional>
#include <string>

#include "core/random.h"
#include "sim/auth/token_store.h"
#include "sim/body_cache.h"
#include "sim/data_set.h"
#include "sim/sim_state.h"
#include "sim/stats.h"
#include "sim/tenant_directory.h"
#include "sim/throttle.h"
#include "sim/window_rules.h"

namespace o365fwd::sim {

struct ApiDeps {
  const TenantDirectory& tenants;
  const DataSet& data;
  SimState& state;
  TokenStore& tokens;
  Throttle& throttle;
  Stats& stats;
  Random& random;
  BodyCache& cache;
  const PageTokens& pages;
};

inline constexpr const char* kJsonType = "application/json; charset=utf-8";

// The PublisherIdentifier query parameter (name compared case-insensitively); nullopt when
// absent or empty.
std::optional<std::string> publisherIdentifier(const httplib::Request& req);
// "http://<Host header>" (or `fallback` when the request has no Host header).
std::string requestBase(const httplib::Request& req, const std::string& fallback);

class ApiService {
 public:
  ApiService(ApiDeps deps, std::string fallback_base);
  // `rest` is the path after .../activity/feed/ (already percent-decoded).
  void handle(const httplib::Request& req, httplib::Response& res, const std::string& version,
              const std::string& tenant_segment, const std::string& rest);
  // --prebuild-bodies: renders and gzips every ordinary blob of every stream once, on `threads`
  // threads, and pins the gzip bodies in the cache, so a benchmark's downloads cost the simulator
  // a memory copy instead of rendering and compressing (bomb and large blobs are left out: they
  // are generated while sent). Call before the server runs. Returns the bytes pinned.
  std::uint64_t prebuildGzipBodies(int threads);
  // Stats route name for a path after .../activity/feed/.
  static std::string routeName(const std::string& rest);

 private:
  struct Call {
    const httplib::Request& req;
    httplib::Response& res;
    size_t tenant;
    std::string tenant_segment;  // as in the URL
    std::string version;         // "v1.0" or "v1"
    std::optional<std::string> publisher;
    std::string base;  // http://host:port of this request
    IssuedToken token;
  };
  static void json(httplib::Response& res, int status, const std::string& body);
  static void afError(httplib::Response& res, int status, const std::string& code,
                      const std::string& message);
  std::optional<size_t> contentTypeParam(Call& c, bool required);
  bool auditingOff(Call& c, const char* method, const std::string& content_type);

  void start(Call& c);
  void stop(Call& c);
  void list(Call& c);
  void content(Call& c);
  void notifications(Call& c);
  void dlpTypes(Call& c);
  void blob(Call& c, const std::string& content_id);
  void serveBody(Call& c, size_t content_type, size_t index, bool broken);
  void serveBomb(Call& c, std::uint64_t decoded_bytes);
  // The large_blob_mb blob: rendered while it is sent (chunked, identity-encoded, never cached),
  // so concurrent 1 GiB blobs cost the simulator a few MiB each instead of their size.
  void serveLargeBody(Call& c, const BlobStream& stream, size_t index);

  ApiDeps d_;
  std::string fallback_base_;
};

}  // namespace o365fwd::sim
