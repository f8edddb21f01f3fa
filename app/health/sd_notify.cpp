#include "app/health/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace o365fwd {

bool sdNotifyTo(std::string_view socket_address, std::string_view state) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // "@name" is Linux's abstract namespace: a leading NUL byte instead of '@'.
  if (socket_address.empty() || socket_address.size() >= sizeof(addr.sun_path)) return false;
  if (socket_address[0] != '/' && socket_address[0] != '@') return false;
  std::memcpy(addr.sun_path, socket_address.data(), socket_address.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_address.size());

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), addr_len);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

bool sdNotify(std::string_view state) {
  const char* socket_address = std::getenv("NOTIFY_SOCKET");
  if (socket_address == nullptr) return false;
  return sdNotifyTo(socket_address, state);
}

}  // namespace o365fwd
