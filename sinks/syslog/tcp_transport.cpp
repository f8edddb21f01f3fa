#include "sinks/syslog/tcp_transport.h"

#include <sys/socket.h>

namespace o365fwd {

namespace {
constexpr std::size_t kWriteChunk = 256 * 1024;
constexpr std::chrono::seconds kWriteStall{30};
}  // namespace

void appendOctetCounted(std::string_view message, std::string& out) {
  out.append(std::to_string(message.size()));
  out.push_back(' ');
  out.append(message);
}

Status TcpConnection::open(std::chrono::milliseconds timeout, std::stop_token stop) {
  close();
  auto fd = syslog_socket::connectTo(target_.host, target_.port, SOCK_STREAM, timeout, stop);
  if (!fd.ok()) return fd.error();
  fd_ = std::move(fd).value();
  written_ = 0;
  buffer_.clear();
  return okStatus();
}

Status TcpConnection::send(std::string_view message, std::stop_token stop) {
  appendOctetCounted(message, buffer_);
  if (buffer_.size() >= kWriteChunk) return flushWrites(stop);
  return okStatus();
}

Status TcpConnection::flushWrites(std::stop_token stop) {
  if (buffer_.empty()) return okStatus();
  if (!fd_.valid())
    return Error::retryableError(ErrorKind::kTransport, "The syslog connection is closed");
  Status st = syslog_socket::writeAll(fd_.get(), buffer_, kWriteStall, stop);
  if (!st.ok()) return st;
  written_ += buffer_.size();
  buffer_.clear();
  return okStatus();
}

Result<std::uint64_t> TcpConnection::acknowledgedOffset() {
  if (!fd_.valid())
    return Error::retryableError(ErrorKind::kTransport, "The syslog connection is closed");
  auto outq = syslog_socket::unacknowledgedBytes(fd_.get());
  if (!outq.ok()) return outq.error();
  return written_ - std::min<std::uint64_t>(*outq, written_);
}

void TcpConnection::close() {
  if (fd_.valid()) ::shutdown(fd_.get(), SHUT_WR);
  fd_.reset();
  buffer_.clear();
  written_ = 0;
}

}  // namespace o365fwd
