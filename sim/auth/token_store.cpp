#include "sim/auth/token_store.h"

namespace o365fwd::sim {

void TokenStore::add(const std::string& token, IssuedToken info, std::int64_t now_s) {
  std::lock_guard lock(mu_);
  tokens_[token] = std::move(info);
  if (++inserts_ % kPurgeEvery == 0) purge(now_s);
}

std::optional<IssuedToken> TokenStore::find(const std::string& token, std::int64_t now_s) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  // Entra allows a little clock skew on nbf; the API rejects tokens at or past exp.
  if (now_s >= it->second.expires || now_s + 300 < it->second.not_before) return std::nullopt;
  return it->second;
}

void TokenStore::expireAll(std::int64_t now_s) {
  std::lock_guard lock(mu_);
  for (auto& [_, t] : tokens_) t.expires = std::min(t.expires, now_s);
}

bool TokenStore::useJti(const std::string& jti, std::int64_t expires_s, std::int64_t now_s) {
  std::lock_guard lock(mu_);
  if (!jtis_.emplace(jti, expires_s).second) return false;
  if (++inserts_ % kPurgeEvery == 0) purge(now_s);
  return true;
}

size_t TokenStore::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

void TokenStore::purge(std::int64_t now_s) {
  // Expired tokens are useless; jtis are kept a day past their exp so a replay of an assertion
  // that is still inside its own window is always caught.
  for (auto it = tokens_.begin(); it != tokens_.end();)
    it = it->second.expires + 3600 < now_s ? tokens_.erase(it) : std::next(it);
  for (auto it = jtis_.begin(); it != jtis_.end();)
    it = it->second + 86400 < now_s ? jtis_.erase(it) : std::next(it);
}

}  // namespace o365fwd::sim
