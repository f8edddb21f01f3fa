#pragma once
// SensitiveValues: the process-wide, bounded registry of every secret value, access token and
// client assertion this process holds or held. redactSecrets() masks each of them by value, so an
// API that echoes one back bare (no "Bearer", no "client_secret=") cannot carry it into a log
// line, /status, a summary or the state database.
//
// Owns copies of the values (plus their URL-encoded and JSON-escaped spellings, computed once per
// value when it is added) in one index updated in place (adding a value costs O(its spellings):
// 1,000 tenants acquiring tokens at start-up). Any thread may call add() (the secret loader, the
// token provider, the client-assertion code) and findAll() (every redactSecrets() call)
// concurrently; a value added is found by every findAll() that starts after add() returned.
//
// Promises:
// - Values shorter than kMinLength are ignored (masking "kafka" everywhere would garble text).
// - Bounded: at most kMaxSecrets configured secrets and kMaxTokens tokens/assertions; beyond that
//   the oldest of the same kind is forgotten (tokens expire within hours; an evicted one is long
//   gone from every response).
// - Like the logger, the registry is process-wide by design: redaction must reach text built
//   anywhere, including exception messages and library callbacks that carry no context.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace o365fwd {

enum class SensitiveKind { kSecret, kToken, kAssertion };

// One registered value and its distinct spellings (the value itself first); immutable.
struct SensitiveEntry {
  explicit SensitiveEntry(std::string_view value);
  std::string value;
  std::vector<std::string> spellings;
};

// A lookup structure over every spelling of every value added to it. Not thread-safe by itself
// (SensitiveValues guards its live one); a copy shares the entries.
class SensitiveIndex {
 public:
  SensitiveIndex() = default;
  explicit SensitiveIndex(std::vector<std::shared_ptr<const SensitiveEntry>> entries);
  // O(spellings of the entry): a fleet registering a token per tenant never rebuilds the index.
  void add(std::shared_ptr<const SensitiveEntry> entry);
  void remove(const SensitiveEntry* entry);  // O(entries): eviction beyond the caps only
  // Appends [begin, end) of every occurrence of a registered spelling in `text` (a spelling two
  // values share may be reported twice).
  void findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& spans) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<std::shared_ptr<const SensitiveEntry>> entries_;  // owns what by_prefix_ points to
  std::array<uint32_t, 256> first_byte_{};                      // spellings starting with each byte
  // First kMinLength bytes of a spelling (as a 64-bit key) -> the spellings.
  std::unordered_map<uint64_t, std::vector<const std::string*>> by_prefix_;
};

class SensitiveValues {
 public:
  static constexpr size_t kMinLength = 8;
  // A fleet of a few thousand tenants has a secret and a live token per tenant: all are kept
  // (with 256 secrets, 744 of 1,000 tenants' secrets were no longer masked by value).
  static constexpr size_t kMaxSecrets = 4096;
  static constexpr size_t kMaxTokens = 4096;

  SensitiveValues();
  SensitiveValues(size_t max_secrets, size_t max_tokens);
  void add(std::string_view value, SensitiveKind kind);
  // Every occurrence of a registered value's spelling in `text` (see SensitiveIndex::findAll).
  void findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& spans) const;
  // A snapshot of the index (copies the lookup tables: for tests, not per text).
  std::shared_ptr<const SensitiveIndex> index() const;
  size_t size() const;
  // Unit tests only: forget everything.
  void clear();

 private:
  // add() takes it exclusively, findAll() shared: redaction on many threads does not serialise.
  mutable std::shared_mutex mu_;
  std::deque<std::shared_ptr<const SensitiveEntry>> secrets_;
  std::deque<std::shared_ptr<const SensitiveEntry>> tokens_;
  // Updated in place by add() (O(spellings) a value): rebuilding an immutable index over every
  // value after each token a fleet's start-up registers was O(N^2) (3 % of the daemon's CPU until
  // ready at 1,000 tenants, even when rebuilt only by the next reader).
  SensitiveIndex index_;
  size_t max_secrets_ = kMaxSecrets;
  size_t max_tokens_ = kMaxTokens;
};

// The process-wide registry.
SensitiveValues& sensitiveValues();

// Shorthand for sensitiveValues().add(value, kind).
void registerSensitive(std::string_view value, SensitiveKind kind);

}  // namespace o365fwd
