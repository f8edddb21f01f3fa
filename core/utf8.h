#pragma once
// UTF-8 well-formedness check (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequences). Pure, thread-safe, allocation-free.
//
// Cost: eight ASCII bytes per step (one 64-bit load and mask) until a byte with the high bit
// set, then a byte-wise table check of that sequence. Audit records are mostly ASCII, so the check
// runs at memory speed (figures in docs/BENCHMARKS.md, bench/parse_bench).
#include <cstddef>
#include <string_view>

namespace o365fwd {

bool isValidUtf8(std::string_view bytes);

// Replaces every CR and LF in bytes[0, size) with a space and returns isValidUtf8() of the bytes
// (the same before and after: CR and LF are ASCII). One pass at the same eight bytes per step as
// isValidUtf8 while the bytes are ASCII from 0x20 up: the blob parser's newline flattening and
// UTF-8 check of each record, which were three passes (two memchr and the check).
bool flattenLineBreaksAndCheckUtf8(char* bytes, std::size_t size);

}  // namespace o365fwd
