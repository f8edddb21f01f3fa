// Regression driver for the fuzz targets when libFuzzer is not available (GCC, CI). Linked with one
// *_fuzzer.cpp; runs LLVMFuzzerTestOneInput over every file of the given corpus directories (or
// files), then over N deterministic mutations of each (xorshift64*, fixed seed: bit flips, byte
// insertions, deletions, overwrites with interesting bytes, duplication of a chunk, splices of two
// inputs, truncation). The same arguments always run the same inputs.
//
//   <name>_fuzz_regression [--mutations=N] [--seed=S] [--max-len=L] [--timeout=SECONDS]
//                          [--rss-limit-mb=MB] DIR_OR_FILE...
//
// Exit 0 when no input crashed. An invariant violation aborts; an input running longer than
// --timeout (default 10 s) is killed by SIGALRM; without ASan, the address space is limited to
// --rss-limit-mb (default 2048, 0 = no limit) so runaway allocation ends in std::bad_alloc
// instead of the OOM killer. Before dying, a signal handler writes the input to
// ./crash-<target>-<pid> (and prints its path) so it can be replayed with
// `<name>_fuzz_regression --mutations=0 crash-file` or the libFuzzer binary.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// The input being run, for the crash handler (which may only use async-signal-safe calls).
const std::uint8_t* g_current = nullptr;
std::size_t g_current_size = 0;
char g_crash_path[256] = "crash-input";

void writeAll(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

extern "C" void onCrash(int sig) {
  int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    writeAll(fd, g_current, g_current_size);
    ::close(fd);
  }
  const char msg[] = "fuzz regression: crashing (or timed out) input written to ";
  writeAll(2, msg, sizeof msg - 1);
  writeAll(2, g_crash_path, std::strlen(g_crash_path));
  writeAll(2, "\n", 1);
  std::raise(sig);  // SA_RESETHAND restored the default action
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  std::uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t s_;
};

using Bytes = std::vector<std::uint8_t>;

void mutateOnce(Bytes& b, const std::vector<Bytes>& corpus, Rng& rng, std::size_t max_len) {
  static constexpr std::uint8_t kInteresting[] = {
      0,   1,   0x7f, 0x80, 0xff, '"', '\\', '[',  ']',  '{', '}', ':', ',', '-', '.',
      '/', '@', '#',  '?',  '%',  ' ', '\n', '\r', '\t', '0', '9', 'Z', 'T', '=', '&'};
  switch (rng.below(9)) {
    case 0:  // flip one bit
      if (!b.empty()) b[rng.below(b.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
      break;
    case 1:  // insert a random byte
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)),
               static_cast<std::uint8_t>(rng.next()));
      break;
    case 2:  // insert an interesting byte
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)),
               kInteresting[rng.below(std::size(kInteresting))]);
      break;
    case 3:  // delete a run of 1..8 bytes
      if (!b.empty()) {
        std::size_t at = rng.below(b.size());
        std::size_t n = std::min(b.size() - at, 1 + rng.below(8));
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                b.begin() + static_cast<std::ptrdiff_t>(at + n));
      }
      break;
    case 4:  // overwrite with an interesting byte
      if (!b.empty()) b[rng.below(b.size())] = kInteresting[rng.below(std::size(kInteresting))];
      break;
    case 5:  // duplicate a chunk of 1..64 bytes somewhere else
      if (!b.empty()) {
        std::size_t at = rng.below(b.size());
        std::size_t n = std::min(b.size() - at, 1 + rng.below(64));
        Bytes chunk(b.begin() + static_cast<std::ptrdiff_t>(at),
                    b.begin() + static_cast<std::ptrdiff_t>(at + n));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng.below(b.size() + 1)), chunk.begin(),
                 chunk.end());
      }
      break;
    case 6: {  // splice: our head, another input's tail
      const Bytes& other = corpus[rng.below(corpus.size())];
      std::size_t head = rng.below(b.size() + 1);
      std::size_t from = rng.below(other.size() + 1);
      b.resize(head);
      b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
      break;
    }
    case 7:  // truncate
      b.resize(rng.below(b.size() + 1));
      break;
    default:  // replace a byte with a random one
      if (!b.empty()) b[rng.below(b.size())] = static_cast<std::uint8_t>(rng.next());
      break;
  }
  if (b.size() > max_len) b.resize(max_len);
}

bool readFile(const std::filesystem::path& path, Bytes& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

unsigned g_timeout_seconds = 10;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

void run(const Bytes& input) {
  g_current = input.data();
  g_current_size = input.size();
  // A copy in a heap block of exactly the input's size, as libFuzzer does, so that reads past
  // the end are caught by ASan builds.
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[input.size() ? input.size() : 1]);
  if (!input.empty()) std::memcpy(copy.get(), input.data(), input.size());
  ::alarm(g_timeout_seconds);
  LLVMFuzzerTestOneInput(copy.get(), input.size());
  ::alarm(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mutations = 2000;
  std::uint64_t seed = 0x6f333635;  // "o365"
  std::size_t max_len = 64 * 1024;
  std::uint64_t rss_limit_mb = 2048;
  std::vector<std::filesystem::path> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0) {
      mutations = std::strtoull(arg.c_str() + 12, nullptr, 10);
    } else if (arg.rfind("--seed=", 0) == 0) {
      seed = std::strtoull(arg.c_str() + 7, nullptr, 0);
    } else if (arg.rfind("--max-len=", 0) == 0) {
      max_len = std::strtoull(arg.c_str() + 10, nullptr, 10);
    } else if (arg.rfind("--timeout=", 0) == 0) {
      g_timeout_seconds = static_cast<unsigned>(std::strtoul(arg.c_str() + 10, nullptr, 10));
    } else if (arg.rfind("--rss-limit-mb=", 0) == 0) {
      rss_limit_mb = std::strtoull(arg.c_str() + 15, nullptr, 10);
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr,
                   "usage: %s [--mutations=N] [--seed=S] [--max-len=L] [--timeout=S] "
                   "[--rss-limit-mb=MB] DIR_OR_FILE...\n",
                   argv[0]);
      return 2;
    } else {
      paths.emplace_back(arg);
    }
  }

  std::vector<Bytes> corpus;
  for (const auto& path : paths) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(path, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());  // directory order is not deterministic
    } else {
      files.push_back(path);
    }
    for (const auto& file : files) {
      Bytes b;
      if (!readFile(file, b)) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 2;
      }
      corpus.push_back(std::move(b));
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "no corpus files in the given paths\n");
    return 2;
  }

  std::string target = std::filesystem::path(argv[0]).filename().string();
  std::snprintf(g_crash_path, sizeof g_crash_path, "crash-%s-%d", target.c_str(),
                static_cast<int>(::getpid()));
  // The handler runs on its own stack so that a stack overflow (deep recursion) is reported too.
  static std::vector<char> alt_stack(1 << 16);
  stack_t ss{};
  ss.ss_sp = alt_stack.data();
  ss.ss_size = alt_stack.size();
  ::sigaltstack(&ss, nullptr);
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM}) {
    struct sigaction action {};
    action.sa_handler = onCrash;
    action.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
  if (rss_limit_mb > 0 && !kAsan) {  // ASan reserves terabytes of address space
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = rss_limit_mb * 1024 * 1024;
    ::setrlimit(RLIMIT_AS, &limit);
  }

  const auto start = std::chrono::steady_clock::now();
  for (const Bytes& input : corpus) run(input);

  Rng rng(seed);
  std::size_t executions = corpus.size();
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    for (std::size_t m = 0; m < mutations; ++m) {
      Bytes b = corpus[i];
      std::size_t rounds = 1 + rng.below(4);  // stacked mutations, like libFuzzer
      for (std::size_t r = 0; r < rounds; ++r) mutateOnce(b, corpus, rng, max_len);
      run(b);
      ++executions;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu corpus files, %zu executions in %.2f s, no crash\n", target.c_str(),
              corpus.size(), executions, seconds);
  return 0;
}
