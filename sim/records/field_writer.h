#pragma once
// Writes one JSON object field by field into a caller's buffer. In reorder mode the fields are
// collected first and emitted in a rotated order, which is how a duplicated record is rendered
// "with the same content but a different key order". Keys are trusted ASCII literals (never
// escaped); values are written by the caller through the returned buffer or the helpers.
// Not thread-safe; one writer per record on the rendering thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/json_text.h"

namespace o365fwd::sim {

class FieldWriter {
 public:
  // `scratch` is reused between records to avoid allocations; its content is overwritten.
  FieldWriter(std::string& out, bool reorder, std::string& scratch)
      : out_(out), reorder_(reorder), scratch_(scratch), start_(out.size()) {
    if (reorder_) {
      scratch_.clear();
      ends_.clear();
    } else {
      out_.push_back('{');
    }
  }

  // Starts field `k` and returns the buffer its JSON value must be appended to.
  std::string& key(std::string_view k) {
    std::string& buf = reorder_ ? scratch_ : out_;
    if (reorder_) {
      ends_.push_back(scratch_.size());
    } else if (count_ > 0) {
      buf.push_back(',');
    }
    ++count_;
    buf.push_back('"');
    buf.append(k);
    buf.append("\":");
    return buf;
  }
  void str(std::string_view k, std::string_view v, bool escape_slash = false) {
    appendJsonString(key(k), v, escape_slash);
  }
  void num(std::string_view k, std::int64_t v) { appendInt(key(k), v); }
  void raw(std::string_view k, std::string_view json) { key(k).append(json); }
  void boolean(std::string_view k, bool v) { key(k).append(v ? "true" : "false"); }
  void null(std::string_view k) { key(k).append("null"); }

  // Bytes written for this record so far (for padding to a target size).
  size_t size() const { return reorder_ ? scratch_.size() + count_ + 1 : out_.size() - start_; }

  // Closes the object. Reorder mode emits the fields starting from the middle one.
  void finish() {
    if (!reorder_) {
      out_.push_back('}');
      return;
    }
    ends_.push_back(scratch_.size());
    // ends_[i] is where field i starts; ends_[i+1] where it ends.
    size_t n = ends_.size() - 1;
    out_.push_back('{');
    for (size_t k = 0; k < n; ++k) {
      size_t i = (k + n / 2) % n;
      if (k > 0) out_.push_back(',');
      out_.append(scratch_, ends_[i], ends_[i + 1] - ends_[i]);
    }
    out_.push_back('}');
  }

 private:
  std::string& out_;
  bool reorder_;
  std::string& scratch_;
  size_t start_;
  size_t count_ = 0;
  std::vector<size_t> ends_;
};

}  // namespace o365fwd::sim
