#include "core/secrets/sensitive_values.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace o365fwd {
namespace {

uint64_t prefixKey(const char* p) {
  uint64_t key = 0;
  std::memcpy(&key, p, sizeof(key));
  return key;
}

// Percent-encoding that keeps letters, digits and the punctuation in `keep`: "-_.~" (RFC 3986,
// curl), "-_." (HTML forms, Java, PHP) or "" (everything else encoded, as some encoders do);
// `plus_for_space` is the form spelling of a space.
std::string urlEncoded(std::string_view value, std::string_view keep, bool plus_for_space) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || (c != 0 && keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && plus_for_space) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The same percent-encoding with lower-case hex digits ("%7e"), which some servers echo.
std::string lowerHex(std::string s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] != '%') continue;
    s[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
    s[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 2])));
  }
  return s;
}

// JSON string spelling; `slash` also escapes '/' as some writers do.
std::string jsonEscaped(std::string_view value, bool slash) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\' || (slash && c == '/')) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

SensitiveEntry::SensitiveEntry(std::string_view v) : value(v) {
  std::vector<std::string> out;
  for (std::string_view keep : {"-_.~", "-_.", ""}) {
    out.push_back(urlEncoded(value, keep, false));
    out.push_back(lowerHex(urlEncoded(value, keep, false)));
  }
  out.push_back(urlEncoded(value, "-_.", true));
  out.push_back(jsonEscaped(value, false));
  out.push_back(jsonEscaped(value, true));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  spellings.push_back(value);
  for (std::string& s : out)
    if (s != value) spellings.push_back(std::move(s));
}

SensitiveIndex::SensitiveIndex(std::vector<std::shared_ptr<const SensitiveEntry>> entries) {
  for (auto& entry : entries) add(std::move(entry));
}

void SensitiveIndex::add(std::shared_ptr<const SensitiveEntry> entry) {
  for (const std::string& s : entry->spellings) {
    ++first_byte_[static_cast<unsigned char>(s[0])];
    by_prefix_[prefixKey(s.data())].push_back(&s);
  }
  entries_.push_back(std::move(entry));
}

void SensitiveIndex::remove(const SensitiveEntry* entry) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const auto& e) { return e.get() == entry; });
  if (it == entries_.end()) return;
  for (const std::string& s : entry->spellings) {
    --first_byte_[static_cast<unsigned char>(s[0])];
    auto bucket = by_prefix_.find(prefixKey(s.data()));
    if (bucket == by_prefix_.end()) continue;
    std::erase(bucket->second, &s);
    if (bucket->second.empty()) by_prefix_.erase(bucket);
  }
  entries_.erase(it);
}

void SensitiveIndex::findAll(std::string_view text,
                             std::vector<std::pair<size_t, size_t>>& spans) const {
  if (entries_.empty() || text.size() < SensitiveValues::kMinLength) return;
  const size_t last = text.size() - SensitiveValues::kMinLength;
  for (size_t i = 0; i <= last; ++i) {
    if (first_byte_[static_cast<unsigned char>(text[i])] == 0) continue;
    auto it = by_prefix_.find(prefixKey(text.data() + i));
    if (it == by_prefix_.end()) continue;
    for (const std::string* s : it->second)
      if (text.compare(i, s->size(), *s) == 0) spans.emplace_back(i, i + s->size());
  }
}

SensitiveValues::SensitiveValues() = default;

SensitiveValues::SensitiveValues(size_t max_secrets, size_t max_tokens) : SensitiveValues() {
  max_secrets_ = max_secrets;
  max_tokens_ = max_tokens;
}

void SensitiveValues::add(std::string_view value, SensitiveKind kind) {
  if (value.size() < kMinLength) return;
  std::unique_lock lock(mu_);
  auto& list = kind == SensitiveKind::kSecret ? secrets_ : tokens_;
  for (const auto& entry : list)
    if (entry->value == value) return;
  list.push_back(std::make_shared<const SensitiveEntry>(value));
  index_.add(list.back());
  const size_t cap = kind == SensitiveKind::kSecret ? max_secrets_ : max_tokens_;
  while (list.size() > cap) {
    index_.remove(list.front().get());
    list.pop_front();
  }
}

void SensitiveValues::findAll(std::string_view text,
                              std::vector<std::pair<size_t, size_t>>& spans) const {
  std::shared_lock lock(mu_);
  index_.findAll(text, spans);
}

std::shared_ptr<const SensitiveIndex> SensitiveValues::index() const {
  std::shared_lock lock(mu_);
  return std::make_shared<const SensitiveIndex>(index_);
}

size_t SensitiveValues::size() const {
  std::shared_lock lock(mu_);
  return secrets_.size() + tokens_.size();
}

void SensitiveValues::clear() {
  std::unique_lock lock(mu_);
  secrets_.clear();
  tokens_.clear();
  index_ = SensitiveIndex();
}

SensitiveValues& sensitiveValues() {
  static SensitiveValues* registry = new SensitiveValues();  // never destroyed: used at exit
  return *registry;
}

void registerSensitive(std::string_view value, SensitiveKind kind) {
  sensitiveValues().add(value, kind);
}

}  // namespace o365fwd
