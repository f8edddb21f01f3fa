#pragma once
// Access tokens the simulator issued (kept server-side, so the API can check them exactly) and
// the jti values of client assertions already used (replay detection). Bounded: entries past
// their expiry are purged as new ones arrive. Thread-safe.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace o365fwd::sim {

struct IssuedToken {
  size_t tenant = 0;
  std::string tenant_id;
  std::string client_id;
  std::vector<std::string> roles;
  std::int64_t not_before = 0;  // epoch seconds (simulator time)
  std::int64_t expires = 0;
};

class TokenStore {
 public:
  void add(const std::string& token, IssuedToken info, std::int64_t now_s);
  // The token if it is known and valid at `now_s` (nbf <= now < exp).
  std::optional<IssuedToken> find(const std::string& token, std::int64_t now_s) const;
  // Makes every issued token expire at `now_s` (POST /_sim/config expire_tokens_now).
  void expireAll(std::int64_t now_s);
  // Records a client assertion jti; false when it was seen before (a replay).
  bool useJti(const std::string& jti, std::int64_t expires_s, std::int64_t now_s);
  size_t size() const;

 private:
  void purge(std::int64_t now_s);  // caller holds mu_
  static constexpr size_t kPurgeEvery = 1024;
  mutable std::mutex mu_;
  std::unordered_map<std::string, IssuedToken> tokens_;
  std::unordered_map<std::string, std::int64_t> jtis_;
  size_t inserts_ = 0;
};

}  // namespace o365fwd::sim
