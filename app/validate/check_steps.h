#pragma once
// Small helpers the network stages of `o365fwd validate` share (app/validate/validate_checks.cpp,
// validate_access.cpp): a stopwatch on the context's Clock and CheckResult builders. Used on the
// validating thread only; no state of their own.
#include <chrono>
#include <string>
#include <vector>

#include "app/validate/validate_command.h"

namespace o365fwd::validate_steps {

using std::chrono::milliseconds;

class Timer {
 public:
  explicit Timer(Clock& clock) : clock_(clock), start_(clock.steadyNow()) {}
  milliseconds elapsed() const {
    return std::chrono::duration_cast<milliseconds>(clock_.steadyNow() - start_);
  }
  std::string ms() const { return std::to_string(elapsed().count()) + " ms"; }

 private:
  Clock& clock_;
  SteadyTime start_;
};

inline CheckResult make(std::string name, std::string target) {
  CheckResult c;
  c.name = std::move(name);
  c.target = std::move(target);
  return c;
}

inline void fail(CheckResult& c, std::string detail, std::string remedy) {
  c.status = CheckResult::kFail;
  c.detail = std::move(detail);
  c.remedy = std::move(remedy);
}

inline void push(ValidationContext& ctx, CheckResult c, const Timer& t) {
  c.duration = t.elapsed();
  ctx.report.checks.push_back(std::move(c));
}

inline std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace o365fwd::validate_steps
