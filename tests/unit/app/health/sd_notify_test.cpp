#include "app/health/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string address) : address_(std::move(address)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr),
                                static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size())) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    if (!address_.empty() && address_[0] == '/') ::unlink(address_.c_str());
  }
  bool bound() const { return bound_; }
  // Returns the next datagram, or "<none>" when nothing arrived (non-blocking).
  std::string receive() {
    char buf[256];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string address_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string uniqueName(const char* tag) {
  return std::string(tag) + "-o365fwd-sdnotify-" + std::to_string(::getpid());
}

TEST(SdNotifyTest, SendsStateToPathSocket) {
  NotifySocket socket("/tmp/" + uniqueName("p"));
  ASSERT_TRUE(socket.bound());
  EXPECT_TRUE(sdNotifyTo("/tmp/" + uniqueName("p"), "READY=1"));
  EXPECT_EQ(socket.receive(), "READY=1");
  EXPECT_EQ(socket.receive(), "<none>");
}

TEST(SdNotifyTest, SendsStateToAbstractSocket) {
  NotifySocket socket("@" + uniqueName("a"));
  ASSERT_TRUE(socket.bound());
  EXPECT_TRUE(sdNotifyTo("@" + uniqueName("a"), "STOPPING=1"));
  EXPECT_EQ(socket.receive(), "STOPPING=1");
}

TEST(SdNotifyTest, UsesNotifySocketEnvironment) {
  const std::string address = "@" + uniqueName("e");
  NotifySocket socket(address);
  ASSERT_TRUE(socket.bound());
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", address.c_str(), 1), 0);
  EXPECT_TRUE(sdNotify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(socket.receive(), "READY=1");
}

TEST(SdNotifyTest, WithoutNotifySocketDoesNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(sdNotify("READY=1"));
}

TEST(SdNotifyTest, RejectsInvalidOrMissingAddresses) {
  EXPECT_FALSE(sdNotifyTo("", "READY=1"));
  EXPECT_FALSE(sdNotifyTo("relative/path", "READY=1"));
  EXPECT_FALSE(sdNotifyTo(std::string(200, '/'), "READY=1"));
  EXPECT_FALSE(sdNotifyTo("/tmp/" + uniqueName("missing"), "READY=1"));  // nobody listening
}

}  // namespace
}  // namespace o365fwd
