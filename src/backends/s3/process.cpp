// credential_process: a command whose standard output is a JSON document
//   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ...,
//    "Expiration": "2026-12-01T08:00:00Z"}
// (SessionToken and Expiration optional). Its standard error goes to ours, as with the AWS CLI.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "credential_sources.hpp"
#include "spi/error.hpp"

extern char **environ;

namespace kvps::s3 {
namespace {

constexpr size_t kMaxOutput = 1 << 20;

// Runs `command` with /bin/sh -c and returns its standard output and exit status.
std::pair<std::string, int> run(const std::string &command, const std::string &source) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        fail_errno(errno, "s3: " + source + ": cannot make a pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    const char *argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    int spawned =
        posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (spawned != 0) {
        close(pipe_fds[0]);
        fail(KVPS_NO_CREDENTIALS,
             "s3: " + source + ": cannot start /bin/sh: " + std::strerror(spawned));
    }
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (out.size() < kMaxOutput) out.append(buffer, static_cast<size_t>(n));
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return {out, status};
}

}  // namespace

Credentials run_credential_process(const std::string &command, const std::string &source) {
    auto [output, status] = run(command, source);
    // The command is named but its output is not: it holds the secret.
    std::string what = source + " '" + command + "'";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail(KVPS_NO_CREDENTIALS,
             "s3: " + what + " failed (" +
                 (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                    : "killed by signal " + std::to_string(WTERMSIG(status))) +
                 "; its standard error went to this process's)");
    JsonValue doc;
    try {
        doc = parse_json(output, what + "'s output");
    } catch (const Error &e) {
        fail(KVPS_NO_CREDENTIALS, e.message());
    }
    if (doc.text_of("Version") != "1")
        fail(KVPS_NO_CREDENTIALS, "s3: " + what + "'s output has Version '" +
                                      doc.text_of("Version") + "', and only 1 is known");
    Credentials out{doc.text_of("AccessKeyId"), doc.text_of("SecretAccessKey"),
                    doc.text_of("SessionToken"), source, std::nullopt};
    if (out.access_key_id.empty() || out.secret_access_key.empty())
        fail(KVPS_NO_CREDENTIALS, "s3: " + what + "'s output lacks AccessKeyId or SecretAccessKey");
    if (std::string expiration = doc.text_of("Expiration"); !expiration.empty()) {
        out.expiration = parse_expiration(expiration);
        if (!out.expiration)
            fail(KVPS_NO_CREDENTIALS, "s3: " + what +
                                          "'s output has an Expiration that is not an "
                                          "ISO 8601 time: '" +
                                          expiration + "'");
    }
    return out;
}

}  // namespace kvps::s3
