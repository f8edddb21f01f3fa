#include "connector/http/body_buffer.h"

#include <algorithm>

namespace o365fwd {

void BodyBuffer::reserve(std::uint64_t bytes) {
  if (!chunks_.empty() || bytes == 0) return;
  chunks_.emplace_back().reserve(static_cast<std::size_t>(bytes));
}

void BodyBuffer::append(const char* data, std::size_t n) {
  size_ += n;
  while (n > 0) {
    if (chunks_.empty()) chunks_.emplace_back();
    std::string* last = &chunks_.back();
    std::size_t room = last->capacity() - last->size();
    if (room == 0) {
      if (chunks_.size() == 1 && last->size() + n <= kSmallBytes) {
        last->append(data, n);  // a small body grows as an ordinary string
        return;
      }
      chunks_.emplace_back().reserve(kChunkBytes);
      last = &chunks_.back();
      room = last->capacity() - last->size();
    }
    std::size_t take = std::min(room, n);
    last->append(data, take);
    data += take;
    n -= take;
  }
}

std::string BodyBuffer::take() {
  std::string out;
  if (chunks_.size() == 1) {
    out = std::move(chunks_.front());
  } else if (!chunks_.empty()) {
    out.reserve(static_cast<std::size_t>(size_));
    for (std::string& chunk : chunks_) {
      out.append(chunk);
      std::string().swap(chunk);  // frees this chunk before the next is copied
    }
  }
  chunks_.clear();
  size_ = 0;
  return out;
}

}  // namespace o365fwd
