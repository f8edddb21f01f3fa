#pragma once
// The SQLite StateStore (contract in pipeline/state/state_store.h; schema, guarantees and measured
// figures in docs/STATE.md). sqlite3.h is included by sqlite_state_store.cpp only.
//
// Owns <state_dir>/state.db (one connection, WAL, synchronous=FULL) and an exclusive flock on
// <state_dir>/lock, both held for the store's life; the lock file holds the owner's pid.
// Thread-safe: every method may be called from any thread; calls are serialised by one mutex.
// Long work is split into transactions that let waiting calls run in between: prune() deletes
// prune_chunk_rows rows per transaction, and the merge of recent record keys into the main index
// (a step after a commit that finds enough of them, all of it at the start of prune()) moves a
// sixteenth of them per transaction.
// Memory: the recent record keys (at most about 2 x merge_threshold_keys x 56 bytes, unless
// merges keep failing) and the SQLite page cache (cache_kib).
//
// Promises beyond StateStore:
// - commit() is atomic (one transaction) and durable when it returns ok.
// - A watermark never moves backwards: commit() ignores a value older than the stored one.
// - blobs_done counts a content id once however often it is committed; the other counters add
//   what each call reports. recordLostBlob() counts a content id once while it is remembered
//   (until 7 days after its expiration).
// - keysSeen() answers "in the de-duplication set": a key stays in it until prune() removes it;
//   committing a key again moves its seen time forward.
// - Errors are Error{kIo} naming the file and carrying SQLite's message. Retryable: busy/locked,
//   disk full, I/O error, out of memory. Permanent: a corrupt or foreign file, a schema from a
//   newer o365fwd, permissions, the lock held by another process.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

struct SqliteStateStoreOptions {
  // Rows deleted per prune transaction; other calls may run between two chunks.
  std::size_t prune_chunk_rows = 20'000;
  // SQLite page cache of the connection, in KiB (the OS page cache sits behind it).
  std::size_t cache_kib = 16 * 1024;
  // Reads up to this many bytes of the database through a memory map (0 = off, the default). A map
  // doubles the lookup rate of a store larger than the page cache in state_store_bench, but end to
  // end (run --once, 1M and 4M records) it bought no CPU per record, while every page it touched
  // stayed in the process's RSS, growing with the key count (+56 MiB at 1M keys;
  // docs/BENCHMARKS.md). Also, with a map a disk read error ends the process (SIGBUS) instead of
  // returning an I/O error.
  std::size_t mmap_bytes = 0;
  // Record keys committed since the last merge are kept in memory (about 50 bytes each) and in an
  // append-only table; at this many they are merged into the main key index (docs/STATE.md).
  std::size_t merge_threshold_keys = 256 * 1024;

  // Tests only. Caps the database at this many pages (0 = no cap), to reproduce a full disk.
  std::int64_t max_page_count = 0;
  // Tests only. Called at named points ("commit:after_blobs", "commit:after_keys",
  // "commit:before_commit", and "merge:chunk" in each merge transaction); returning true fails
  // the transaction there, as an SQLite error would.
  std::function<bool(std::string_view point)> fail_point;
};

// Like openSqliteStateStore(state_dir), with explicit options.
Result<std::unique_ptr<StateStore>> openSqliteStateStore(const std::filesystem::path& state_dir,
                                                         const SqliteStateStoreOptions& options);

// Tests only: overwrites the schema version stored in <state_dir>/state.db, to reproduce a
// database written by another o365fwd version. The store must not be open.
Status setSchemaVersionForTesting(const std::filesystem::path& state_dir, int version);

// Tests only: creates <state_dir>/state.db as an o365fwd of schema `version` wrote it, then runs
// `sql` in the same transaction (rows of that schema). The directory must exist, the file not.
Status createSchemaForTesting(const std::filesystem::path& state_dir, int version,
                              const std::string& sql);

}  // namespace o365fwd
