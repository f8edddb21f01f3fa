// Fuzz target: the /status document reader (app/status/status_json.h), what `o365fwd status` receives.
// Invariants: a document statusFromJson accepts is written back by statusToJson (compact and
// pretty) into text that statusFromJson accepts again and that is a fixed point: writing the
// second reading gives the same text (timestamps settle at millisecond precision after one round).
// Refusals are permanent kCorrupt errors.
#include <string>

#include "app/status/status_json.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto first = o365fwd::statusFromJson(json);
  if (!first) {
    FUZZ_CHECK(first.error().kind == o365fwd::ErrorKind::kCorrupt && !first.error().retryable);
    return 0;
  }
  const std::string once = o365fwd::statusToJson(*first);
  auto second = o365fwd::statusFromJson(once);
  FUZZ_CHECK(second.ok());
  const std::string twice = o365fwd::statusToJson(*second);
  FUZZ_CHECK(once == twice);
  FUZZ_CHECK(second->streams.size() == first->streams.size());
  FUZZ_CHECK(second->sinks.size() == first->sinks.size());

  auto pretty = o365fwd::statusFromJson(o365fwd::statusToJson(*second, /*pretty=*/true));
  FUZZ_CHECK(pretty.ok() && o365fwd::statusToJson(*pretty) == once);
  return 0;
}
