// Fuzz target: loadConfigString (core/config/config_loader.h), the YAML configuration loader.
// Invariants: it returns (no exception, no crash, bounded alias expansion); the issues are sorted
// by line (issues without a line last) and counted consistently; every issue has a message; and
// an inline client_secret (8+ characters, letters and digits) that occurs once in the text never
// appears in an issue.
#include <string>

#include "core/config/config_loader.h"
#include "fuzz/fuzz_check.h"

namespace {

std::size_t occurrences(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

bool hasDigitAndLetter(std::string_view s) {
  bool digit = false, letter = false;
  for (char c : s) {
    digit = digit || (c >= '0' && c <= '9');
    letter = letter || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  return digit && letter;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const o365fwd::LoadedConfig loaded =
      o365fwd::loadConfigString(yaml, "/nonexistent/connector.yaml");

  int errors = 0, warnings = 0, last_line = 0;
  for (const o365fwd::ConfigIssue& issue : loaded.issues) {
    FUZZ_CHECK(!issue.message.empty());
    FUZZ_CHECK(issue.line >= 0);
    (issue.warning ? warnings : errors) += 1;
    if (issue.line != 0) {
      FUZZ_CHECK(last_line != -1);  // a line-less issue sorts after every issue with a line
      FUZZ_CHECK(issue.line >= last_line);
      last_line = issue.line;
    } else {
      last_line = -1;
    }
  }
  FUZZ_CHECK(errors == loaded.errorCount() && warnings == loaded.warningCount());
  FUZZ_CHECK(loaded.valid() == (errors == 0));

  for (const o365fwd::TenantConfig& tenant : loaded.config.tenants) {
    if (!tenant.client_secret) continue;
    const std::string& secret = tenant.client_secret->reveal();
    // Short or word-like values could occur in the fixed text of a message by chance.
    if (secret.size() < 8 || !hasDigitAndLetter(secret) || occurrences(yaml, secret) != 1) continue;
    for (const o365fwd::ConfigIssue& issue : loaded.issues) {
      FUZZ_CHECK(issue.describe().find(secret) == std::string::npos);
    }
  }
  return 0;
}
