#include "sinks/syslog/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace o365fwd {

namespace {

constexpr std::size_t kWriteChunk = 64 * 1024;
constexpr std::chrono::seconds kWriteStall{30};

std::string sslErrors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "no OpenSSL error detail" : text;
}

// OpenSSL writes with write(2), which raises SIGPIPE on a connection the peer has closed. While
// alive, this blocks SIGPIPE in the calling thread; on the way out it consumes a SIGPIPE that
// became pending meanwhile (unless one was already pending before), then restores the mask.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      timespec zero{0, 0};
      int saved = errno;
      while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
      }
      errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
  bool was_pending_ = false;
};

bool isIpAddress(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<std::unique_ptr<TlsConnection>> TlsConnection::create(const SyslogSinkConfig& config,
                                                             HostPort target) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Error::permanent(ErrorKind::kInternal, "SSL_CTX_new failed: " + sslErrors());
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> guard(ctx, SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1)
      return Error::permanent(ErrorKind::kConfig, "Cannot load the syslog TLS CA file " +
                                                      config.ca_file + ": " + sslErrors() +
                                                      ". Check ca_file (PEM, readable).");
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return Error::permanent(ErrorKind::kConfig,
                            "Cannot load the system CA store: " + sslErrors() + ". Set ca_file.");
  }
  if (!config.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1)
      return Error::permanent(ErrorKind::kConfig, "Cannot load the syslog client certificate " +
                                                      config.cert_file + ": " + sslErrors());
    const std::string& key = config.key_file.empty() ? config.cert_file : config.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
      return Error::permanent(ErrorKind::kConfig,
                              "Cannot load the key of the syslog client certificate from " + key +
                                  " (or it does not match the certificate): " + sslErrors());
  }
  std::string name = config.server_name.empty() ? target.host : config.server_name;
  return std::unique_ptr<TlsConnection>(
      new TlsConnection(guard.release(), std::move(target), std::move(name)));
}

TlsConnection::TlsConnection(SSL_CTX* ctx, HostPort target, std::string server_name)
    : ctx_(ctx), target_(std::move(target)), server_name_(std::move(server_name)) {}

TlsConnection::~TlsConnection() {
  close();
  SSL_CTX_free(ctx_);
}

Status TlsConnection::open(std::chrono::milliseconds timeout, std::stop_token stop) {
  close();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fd = syslog_socket::connectTo(target_.host, target_.port, SOCK_STREAM, timeout, stop);
  if (!fd.ok()) return fd.error();
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return Error::permanent(ErrorKind::kInternal, "SSL_new failed: " + sslErrors());
  std::unique_ptr<SSL, void (*)(SSL*)> guard(ssl, SSL_free);
  bool name_ok = isIpAddress(server_name_)
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str()) == 1
                     : SSL_set1_host(ssl, server_name_.c_str()) == 1 &&
                           SSL_set_tlsext_host_name(ssl, server_name_.c_str()) == 1;
  if (!name_ok)
    return Error::permanent(ErrorKind::kConfig, "Cannot use '" + server_name_ +
                                                    "' as the TLS server name: " + sslErrors());
  SSL_set_fd(ssl, fd->get());
  SigpipeGuard no_sigpipe;
  while (true) {
    ERR_clear_error();
    int rc = SSL_connect(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      Status ready = syslog_socket::waitFor(
          fd->get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
          std::max(left, std::chrono::milliseconds(1)), stop, "TLS handshake with " + target_.host);
      if (!ready.ok()) return ready;
      continue;
    }
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)  // cannot heal by itself: permanent (sinks/sink.h)
      return Error::permanent(ErrorKind::kPermission,
                              "TLS handshake with the syslog receiver " + target_.host + ":" +
                                  std::to_string(target_.port) +
                                  " failed: certificate not trusted for '" + server_name_ + "' (" +
                                  X509_verify_cert_error_string(verify) +
                                  "). Check ca_file and server_name.");
    return Error::retryableError(ErrorKind::kTransport,
                                 "TLS handshake with the syslog receiver " + target_.host + ":" +
                                     std::to_string(target_.port) + " failed: " + sslErrors());
  }
  fd_ = std::move(fd).value();
  ssl_ = guard.release();
  written_ = 0;
  acked_ = 0;
  buffer_.clear();
  return okStatus();
}

Status TlsConnection::send(std::string_view message, std::stop_token stop) {
  buffer_.append(std::to_string(message.size()));
  buffer_.push_back(' ');
  buffer_.append(message);
  if (buffer_.size() >= kWriteChunk) return flushWrites(stop);
  return okStatus();
}

Status TlsConnection::writeTls(std::string_view data, std::stop_token stop) {
  SigpipeGuard no_sigpipe;
  while (!data.empty()) {
    ERR_clear_error();
    int chunk = static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20));
    int rc = SSL_write(ssl_, data.data(), chunk);
    if (rc > 0) {
      data.remove_prefix(static_cast<std::size_t>(rc));
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      Status ready =
          syslog_socket::waitFor(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                                 kWriteStall, stop, "Writing to the syslog receiver");
      if (!ready.ok()) return ready;
      continue;
    }
    int sys = errno;
    std::string detail = err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                             ? std::string(sys ? std::strerror(sys) : "connection closed")
                             : sslErrors();
    return Error::retryableError(ErrorKind::kTransport,
                                 "Writing to the syslog receiver over TLS failed: " + detail);
  }
  return okStatus();
}

Status TlsConnection::flushWrites(std::stop_token stop) {
  if (buffer_.empty()) return okStatus();
  if (!ssl_) return Error::retryableError(ErrorKind::kTransport, "The syslog connection is closed");
  Status st = writeTls(buffer_, stop);
  if (!st.ok()) return st;
  written_ += buffer_.size();
  buffer_.clear();
  return okStatus();
}

Result<std::uint64_t> TlsConnection::acknowledgedOffset() {
  if (!ssl_) return Error::retryableError(ErrorKind::kTransport, "The syslog connection is closed");
  auto outq = syslog_socket::unacknowledgedBytes(fd_.get());
  if (!outq.ok()) return outq.error();
  if (*outq == 0) acked_ = written_;
  return acked_;
}

void TlsConnection::close() {
  if (ssl_) {
    SigpipeGuard no_sigpipe;
    ERR_clear_error();
    SSL_shutdown(ssl_);  // sends close_notify; the peer's answer is not awaited
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_.valid()) ::shutdown(fd_.get(), SHUT_WR);
  fd_.reset();
  buffer_.clear();
  written_ = 0;
  acked_ = 0;
}

}  // namespace o365fwd
