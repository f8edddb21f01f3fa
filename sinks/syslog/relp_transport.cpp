#include "sinks/syslog/relp_transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

namespace o365fwd {

namespace {
constexpr std::size_t kWriteChunk = 256 * 1024;
constexpr std::chrono::seconds kWriteStall{30};
constexpr std::size_t kMaxResponse = 64 * 1024;
constexpr std::uint32_t kMaxTxnr = 999'999'999;
const char* kOffers = "relp_version=0\nrelp_software=o365fwd\ncommands=syslog";

Error protocolError(const std::string& what) {
  return Error::retryableError(ErrorKind::kTransport, "RELP receiver: " + what);
}
}  // namespace

void appendRelpFrame(std::uint32_t txnr, std::string_view command, std::string_view data,
                     std::string& out) {
  out.append(std::to_string(txnr));
  out.push_back(' ');
  out.append(command);
  out.push_back(' ');
  out.append(std::to_string(data.size()));
  if (!data.empty()) {
    out.push_back(' ');
    out.append(data);
  }
  out.push_back('\n');
}

std::uint32_t RelpConnection::nextTxnr() {
  txnr_ = txnr_ >= kMaxTxnr ? 1 : txnr_ + 1;
  return txnr_;
}

Status RelpConnection::open(std::chrono::milliseconds timeout, std::stop_token stop) {
  close();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fd = syslog_socket::connectTo(target_.host, target_.port, SOCK_STREAM, timeout, stop);
  if (!fd.ok()) return fd.error();
  fd_ = std::move(fd).value();
  txnr_ = 0;
  offset_ = acked_ = 0;
  pending_.clear();
  in_.clear();
  out_.clear();
  std::uint32_t open_txnr = nextTxnr();
  appendRelpFrame(open_txnr, "open", kOffers, out_);
  Status st = syslog_socket::writeAll(fd_.get(), out_, kWriteStall, stop);
  out_.clear();
  while (st.ok()) {
    Response frame;
    auto got = takeFrame(frame);
    if (!got.ok()) {
      st = got.error();
      break;
    }
    if (*got) {
      if (frame.txnr != open_txnr || frame.command != "rsp" || frame.data.rfind("200", 0) != 0)
        st = protocolError("refused the session: " + frame.data.substr(0, 200));
      else if (frame.data.find("commands=syslog") == std::string::npos)
        st = protocolError("does not offer the syslog command");
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      st = protocolError("no answer to the RELP open command within " +
                         std::to_string(timeout.count()) + " ms");
      break;
    }
    st = readAvailable(left, stop);
  }
  if (!st.ok()) {
    fd_.reset();
    return st;
  }
  return okStatus();
}

Status RelpConnection::send(std::string_view message, std::stop_token stop) {
  std::uint32_t txnr = nextTxnr();
  std::size_t before = out_.size();
  appendRelpFrame(txnr, "syslog", message, out_);
  offset_ += out_.size() - before;
  pending_.emplace_back(txnr, offset_);
  if (out_.size() >= kWriteChunk) return flushWrites(stop);
  return okStatus();
}

Status RelpConnection::flushWrites(std::stop_token stop) {
  if (out_.empty()) return okStatus();
  if (!fd_.valid()) return protocolError("the connection is closed");
  Status st = syslog_socket::writeAll(fd_.get(), out_, kWriteStall, stop);
  out_.clear();
  return st;
}

Status RelpConnection::readAvailable(std::chrono::milliseconds wait, std::stop_token stop) {
  if (wait.count() > 0) {
    Status ready = syslog_socket::waitFor(fd_.get(), POLLIN, wait, stop, "Waiting for RELP");
    if (!ready.ok()) return ready;
  }
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      if (in_.size() > 4 * kMaxResponse) return protocolError("sent too much unparsed data");
      continue;
    }
    if (n == 0) return protocolError("closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return okStatus();
    return syslog_socket::transportError("Reading from the RELP receiver failed", errno);
  }
}

Result<bool> RelpConnection::takeFrame(Response& frame) {
  // TXNR SP COMMAND SP DATALEN [SP DATA] LF
  std::size_t sp1 = in_.find(' ');
  if (sp1 == std::string::npos)
    return in_.size() > 64 ? Result<bool>(protocolError("bad frame")) : false;
  std::size_t sp2 = in_.find_first_of(" \n", sp1 + 1);
  if (sp2 == std::string::npos)
    return in_.size() > 64 ? Result<bool>(protocolError("bad frame")) : false;
  std::size_t len_end = in_.find_first_of(" \n", sp2 + 1);
  if (len_end == std::string::npos) return false;
  std::uint32_t txnr = 0;
  std::size_t len = 0;
  if (std::from_chars(in_.data(), in_.data() + sp1, txnr).ec != std::errc() ||
      std::from_chars(in_.data() + sp2 + 1, in_.data() + len_end, len).ec != std::errc() ||
      len > kMaxResponse)
    return protocolError("malformed frame header '" +
                         in_.substr(0, std::min<std::size_t>(len_end, 60)) + "'");
  std::size_t data_start = len == 0 ? len_end : len_end + 1;
  if (in_.size() < data_start + len + 1) return false;
  if (in_[data_start + len] != '\n') return protocolError("frame without its LF trailer");
  frame.txnr = txnr;
  frame.command = in_.substr(sp1 + 1, sp2 - sp1 - 1);
  frame.data = in_.substr(data_start, len);
  in_.erase(0, data_start + len + 1);
  return true;
}

Result<std::uint64_t> RelpConnection::acknowledgedOffset() {
  if (!fd_.valid()) return protocolError("the connection is closed");
  Status st = readAvailable(std::chrono::milliseconds(0), {});
  if (!st.ok()) return st.error();
  while (true) {
    Response frame;
    auto got = takeFrame(frame);
    if (!got.ok()) return got.error();
    if (!*got) break;
    if (frame.command == "serverclose") return protocolError("closed the session (serverclose)");
    if (frame.command != "rsp") return protocolError("sent an unexpected '" + frame.command + "'");
    if (pending_.empty() || pending_.front().first != frame.txnr)
      return protocolError("answered transaction " + std::to_string(frame.txnr) + " out of order");
    if (frame.data.rfind("200", 0) != 0)
      return protocolError("refused a message: " + frame.data.substr(0, 200));
    acked_ = pending_.front().second;
    pending_.pop_front();
  }
  return acked_;
}

void RelpConnection::close() {
  if (fd_.valid()) {
    std::string frame;
    std::uint32_t txnr = nextTxnr();
    appendRelpFrame(txnr, "close", "", frame);
    if (syslog_socket::writeAll(fd_.get(), frame, std::chrono::seconds(1), {}).ok()) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      bool done = false;
      while (!done && std::chrono::steady_clock::now() < deadline) {
        if (!readAvailable(std::chrono::milliseconds(100), {}).ok()) break;
        Response r;
        while (true) {
          auto got = takeFrame(r);
          if (!got.ok() || !*got) break;
          if (r.txnr == txnr) done = true;
        }
      }
    }
    ::shutdown(fd_.get(), SHUT_RDWR);
  }
  fd_.reset();
  out_.clear();
  in_.clear();
  pending_.clear();
  offset_ = acked_ = 0;
}

}  // namespace o365fwd
