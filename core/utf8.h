#pragma once
// UTF-8 well-formedness check (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequences). Pure, thread-safe, allocation-free.
//
// Cost: eight ASCII bytes per step (one 64-bit load and mask) until a byte with the high bit
// set, then a byte-wise table check of that sequence. Audit records are mostly ASCII, so the check
// runs at memory speed (figures in docs/BENCHMARKS.md, bench/parse_bench).
#include <string_view>

namespace o365fwd {

bool isValidUtf8(std::string_view bytes);

}  // namespace o365fwd
