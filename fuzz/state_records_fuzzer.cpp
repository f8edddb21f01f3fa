// Fuzz target: the records of cluster mode's state topic (cluster/state/state_records.h), which an
// instance reads from a topic other programs can write to.
// Invariants: every decoder either refuses with kCorrupt or accepts exactly what its encoder writes
// for the decoded value (encode(decode(x)) == x: one encoding per value, so nothing is read past or
// silently ignored); a decoded key names a kind the store knows.
#include <string>
#include <string_view>

#include "cluster/state/state_records.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace o365fwd;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto k = decodeStateKey(in); k.ok()) {
    FUZZ_CHECK(encodeStateKey(*k) == in);
    FUZZ_CHECK(k->kind == StateRecordKind::kPrune ? k->stream.tenant.empty()
                                                  : !k->stream.tenant.empty());
  } else {
    FUZZ_CHECK(k.error().kind == ErrorKind::kCorrupt);
  }
  if (auto v = decodeCheckpoint(in); v.ok())
    FUZZ_CHECK(encodeCheckpoint(*v) == in);
  else
    FUZZ_CHECK(v.error().kind == ErrorKind::kCorrupt);
  if (auto v = decodeBlob(in); v.ok())
    FUZZ_CHECK(encodeBlob(*v) == in);
  else
    FUZZ_CHECK(v.error().kind == ErrorKind::kCorrupt);
  if (auto v = decodeBlobNote(in); v.ok())
    FUZZ_CHECK(encodeBlobNote(*v) == in);
  else
    FUZZ_CHECK(v.error().kind == ErrorKind::kCorrupt);
  if (auto v = decodePrune(in); v.ok())
    FUZZ_CHECK(encodePrune(*v) == in);
  else
    FUZZ_CHECK(v.error().kind == ErrorKind::kCorrupt);
  return 0;
}
