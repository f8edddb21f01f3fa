#pragma once
// The one source of randomness: a seeded, thread-safe generator passed by reference.
// Production seeds it from std::random_device once in main(); tests seed it with a constant.
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace o365fwd {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  static std::uint64_t seedFromDevice();
  std::uint64_t next();
  // Uniform in [0, 1).
  double uniform();
  // A random version-4 GUID in lower case (JWT jti, correlation ids).
  std::string guid();

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace o365fwd
