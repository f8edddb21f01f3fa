#pragma once
// The process's allocator policy (glibc malloc), set once at start before any thread exists.
//
// o365fwd's memory is dominated by large, short-lived buffers: blob bodies, their parse arenas
// and record tables, sink write vectors. glibc's defaults keep such memory after it is freed: its
// mmap threshold rises to the size of each large block freed (up to 32 MiB), after which those
// buffers come from the heap arenas, where freed memory stays in the process; every thread that
// allocates may get an arena of its own. Measured with 16 concurrent 64 MiB blobs and a 256 MiB
// in-flight budget: 206 MiB free but held in the main arena alone at the peak, peak RSS 632 MiB.
// The policy fixes the mmap threshold (every buffer from kMmapThreshold up is its own mapping,
// unmapped when freed), trims the heap top early and limits the number of arenas; same run:
// 452-481 MiB, free-but-held memory 23 MiB (docs/BENCHMARKS.md, memory_bound_bench). Not
// thread-safe: call from main() only.
#include <cstddef>

namespace o365fwd {

struct MemoryPolicy {
  std::size_t mmap_threshold = 1u << 20;  // bytes; allocations from this size up are mapped
  std::size_t trim_threshold = 4u << 20;  // free bytes at the heap top returned to the system
  int arena_max = 4;                      // malloc arenas (0: glibc's default, 8 per core)
};

// Applies `policy`; returns false when the allocator refused a setting (not glibc).
bool applyMemoryPolicy(const MemoryPolicy& policy = {});

}  // namespace o365fwd
