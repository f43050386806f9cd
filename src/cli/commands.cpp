// The command table and the help texts built from it.
#include "commands.hpp"

#include <string>

#include "errors.hpp"
#include "output.hpp"

namespace cli {
namespace {

constexpr OptionSpec ls_options[] = {
    {"long", 'l', "", "add the size and modified time (KEY<TAB>SIZE<TAB>MTIME)"},
    {"human", 'h', "", "sizes as 1.5 KiB, 12.3 MiB (implies -l)"},
    {"recursive", 'r', "", "every key below the prefix, not one level"},
    {"json", 0, "",
     "one JSON object a line: {\"key\",\"size\",\"mtime\",\"etag\"} or {\"prefix\"}"},
    {"delimiter", 'd', "D",
     "fold keys into folders at D instead of '/' (the store does the folding)"},
};
constexpr OptionSpec presign_options[] = {
    {"put", 0, "", "a URL that writes the value (HTTP PUT) instead of reading it"},
    {"expires", 0, "DURATION", "how long the URL works: 90s, 15m, 1h (default), 7d at most"},
};
constexpr OptionSpec rm_options[] = {
    {"recursive", 'r', "", "remove every key under each PREFIX (batched, counted)"},
    {"all", 0, "", "with -r and no PREFIX (or a whole store): remove every key"},
};
constexpr OptionSpec put_options[] = {
    {"content-type", 0, "TYPE", "store TYPE as the value's content type"},
    {"meta", 0, "NAME=VALUE", "store user metadata NAME=VALUE with the value (repeatable)"},
    {"if-match", 0, "ETAG", "replace only the value whose etag is ETAG"},
    {"create-only", 0, "", "write only if KEY does not exist yet"},
};
constexpr OptionSpec copy_options[] = {
    {"recursive", 'r', "", "copy every key under SRC (implied when SRC is a store or a glob)"},
    {"include", 0, "GLOB", "copy only keys matching GLOB (repeatable)"},
    {"exclude", 0, "GLOB", "skip keys matching GLOB (repeatable)"},
    {"dry-run", 'n', "", "print what would be copied (and deleted), change nothing"},
    {"jobs", 'j', "N", "copy N values at a time (default 4, at most 64)"},
    {"prefix", 0, "P", "only keys under P, keeping their names"},
};
constexpr OptionSpec move_options[] = {
    {"recursive", 'r', "", "move every key under SRC (implied when SRC is a store or a glob)"},
    {"include", 0, "GLOB", "move only keys matching GLOB (repeatable)"},
    {"exclude", 0, "GLOB", "skip keys matching GLOB (repeatable)"},
    {"dry-run", 'n', "", "print what would be moved, change nothing"},
    {"jobs", 'j', "N", "move N values at a time (default 4, at most 64)"},
};
constexpr OptionSpec sync_options[] = {
    {"delete", 0, "", "remove destination keys the source lacks (within the filters)"},
    {"include", 0, "GLOB", "sync only keys matching GLOB (repeatable)"},
    {"exclude", 0, "GLOB", "skip keys matching GLOB (repeatable)"},
    {"dry-run", 'n', "", "print what would be copied and deleted, change nothing"},
    {"jobs", 'j', "N", "copy N values at a time (default 4, at most 64)"},
    {"prefix", 0, "P", "only keys under P, keeping their names"},
};

constexpr CommandSpec commands[] = {
    {"put", run_put, true,
     "put KEY [FILE] [--content-type T] [--meta N=V]... [--if-match ETAG | --create-only]",
     "store FILE (or standard input) as KEY's value, streamed",
     "Stores FILE as KEY's value, or standard input when FILE is absent or \"-\". The value is\n"
     "streamed and appears only once complete: an error or Ctrl-C leaves the old value.\n"
     "--content-type and --meta store properties with it; --if-match ETAG and --create-only\n"
     "are conditions checked when the value becomes visible (a failed one changes nothing and\n"
     "exits with the store-error code, naming the condition).\n\n"
     "Examples:\n"
     "  kvps put greeting hello.txt\n"
     "  tar c photos | kvps put backups/photos.tar\n"
     "  kvps put backup:2024/notes.md notes.md      (alias 'backup', see kvps help alias)\n"
     "  kvps put --create-only --content-type text/plain --meta owner=ops lock.txt lock.txt\n",
     put_options},
    {"get",
     run_get,
     true,
     "get KEY [FILE]",
     "write KEY's value to FILE or standard output",
     "Writes KEY's value to FILE (through a temporary file renamed at the end, so FILE is never\n"
     "half-written), or to standard output when FILE is absent or \"-\".\n\n"
     "Examples:\n"
     "  kvps get greeting\n"
     "  kvps get backups/photos.tar | tar x\n"
     "  kvps get ./photos/cat.jpg cat-copy.jpg       (a file of a plain folder)\n",
     {}},
    {"stat",
     run_stat,
     false,
     "stat KEY",
     "print a value's size, modified time, etag, type and metadata",
     "Prints size: N, mtime: ISO 8601 UTC (with nanoseconds when the backend keeps them),\n"
     "etag: ..., content-type: ... and one meta: NAME=VALUE line per metadata pair.\n\n"
     "Examples:\n"
     "  kvps stat greeting\n"
     "  kvps stat s3data:2024/report.pdf\n",
     {}},
    {"ls", run_ls, false, "ls [-lhr] [-d D] [--json] [PREFIX|PATTERN|STORE]",
     "list keys one level deep (-r: all), with globs",
     "Lists the keys under PREFIX in byte order, one level deep: keys below a further '/' are\n"
     "shown once as their folder (\"2024/\"); -r lists every key. A PATTERN with *, ? or **\n"
     "lists its longest literal prefix and prints the keys it matches (whole keys: '*' and\n"
     "'?' stop at '/', '**' crosses it; '\\' makes the next character literal). Quote\n"
     "patterns so the shell leaves them alone. One level is listed by the store itself (S3's\n"
     "delimiter listing), so a folder's keys are not read; -d D folds at D instead of '/'.\n\n"
     "Examples:\n"
     "  kvps ls\n"
     "  kvps ls -lh 2024/\n"
     "  kvps ls '2024/*.jpg'\n"
     "  kvps ls -r --json s3://bucket/prefix?region=eu-west-1\n"
     "  kvps ls ./photos                            (a plain folder: its files are keys)\n"
     "  kvps ls -d - logs/                          (fold at '-' instead of '/')\n",
     ls_options},
    {"presign", run_presign, false, "presign KEY [--put] [--expires DURATION]",
     "print a URL that reads (or writes) KEY without credentials",
     "Prints a URL that lets whoever holds it read KEY's value (HTTP GET), or with --put write\n"
     "it (HTTP PUT, the body is the value), until it expires (default 1h, at most 7d). The URL\n"
     "is signed with the store's credentials and does not contain them. Only stores that can\n"
     "sign such URLs (s3://) make them; others fail (exit 3).\n\n"
     "Examples:\n"
     "  kvps presign reports/2024.pdf\n"
     "  curl -T big.iso \"$(kvps presign --put --expires 15m isos/big.iso)\"\n",
     presign_options},
    {"rm", run_rm, true, "rm [-r] [--all] KEY|GLOB|PREFIX...", "remove keys, globs, prefixes",
     "Removes each KEY (a missing key is not an error), the keys each GLOB matches, or with -r\n"
     "every key under each PREFIX, in batches, and prints how many with -r or a glob. A KEY\n"
     "ending in '/' needs -r; an empty prefix (or a whole store) needs -r --all.\n\n"
     "Examples:\n"
     "  kvps rm greeting old-greeting\n"
     "  kvps rm '2024/*.tmp'\n"
     "  kvps rm -r 2024/\n"
     "  kvps rm -r --all --store ./scratch\n",
     rm_options},
    {"cp", run_cp, true, "cp [-rn] [--include GLOB] [--exclude GLOB] [-j N] SRC DST",
     "copy a key, or every key under a prefix or store",
     "Copies one value, or with -r (implied when SRC is a store, a folder or a glob) every key\n"
     "under SRC, to DST, streamed, N at a time, with its content type and metadata (within one\n"
     "store: kvps_copy, server-side on s3://). Keys keep their names below SRC's prefix:\n"
     "cp -r backup:2024/ ./restore puts 2024/a.jpg at ./restore/a.jpg. A key is skipped when\n"
     "the destination already holds the same value (same size, content type and metadata, and\n"
     "the same etag on the same backend or equal bytes when compared). --include/--exclude\n"
     "take globs: one without '/' matches a key's last segment (\"*.jpg\"), one with '/' the\n"
     "key below SRC's prefix.\n"
     "A summary goes to standard error: copied N keys (SIZE), skipped M unchanged, in T s.\n\n"
     "Examples:\n"
     "  kvps cp ./photos s3://bucket/photos?region=eu-west-1\n"
     "  kvps cp -r --include '*.jpg' --exclude 'tmp/**' ./photos backup:photos/\n"
     "  kvps cp backup:2024/report.pdf ./\n"
     "  kvps cp -n ./photos backup:photos/           (dry run: prints \"copy KEY\" lines)\n",
     copy_options},
    {"mv", run_mv, true, "mv [-rn] [--include GLOB] [--exclude GLOB] [-j N] SRC DST",
     "move a key, or every key under a prefix, within or between stores",
     "Moves one value (or with -r every key under SRC, named as cp names them) to DST, with its\n"
     "content type and metadata. Within one store each key is renamed (kvps_rename: one atomic\n"
     "rename on memory:// and file://, a server-side copy then a delete on s3://). Between\n"
     "stores the value is copied, the copy is verified (size, the etag the write made, content\n"
     "type and metadata at the destination), and only then is the source removed; a source that\n"
     "changed meanwhile is kept and reported (exit 3). A destination already holding the same\n"
     "value is not rewritten: the source is just removed.\n"
     "A summary goes to standard error: moved N keys (SIZE), in T s.\n\n"
     "Examples:\n"
     "  kvps mv drafts/report.md reports/2024.md\n"
     "  kvps mv -r ./outbox backup:inbox/\n"
     "  kvps mv -n -r 'tmp/*.log' logs/              (dry run: prints \"move KEY -> DEST\" "
     "lines)\n",
     move_options},
    {"sync", run_sync, true, "sync [--delete] [-n] [--include GLOB] [--exclude GLOB] SRC DST",
     "make DST hold what SRC holds: copy what differs",
     "Copies every key under SRC that DST lacks or holds with other bytes (as cp -r does), and\n"
     "with --delete removes the keys under DST that SRC lacks (only those the filters select).\n"
     "Ends with: copied N keys (SIZE), skipped M unchanged, deleted K, in T s.\n\n"
     "Examples:\n"
     "  kvps sync ./site s3://www-bucket?region=eu-west-1 --delete\n"
     "  kvps sync -n --delete backup:photos/ ./photos\n",
     sync_options},
    {"alias",
     run_alias,
     false,
     "alias set NAME URL | alias ls | alias rm NAME",
     "name a store: NAME:KEY and --store NAME",
     "Keeps named stores in ${XDG_CONFIG_HOME:-~/.config}/kvps/aliases (mode 0600: a URL may\n"
     "hold a secret key). NAME:KEY then means KEY in that store, NAME: the whole store, and\n"
     "--store NAME makes it the current store. alias ls hides passwords and secret options.\n\n"
     "Examples:\n"
     "  kvps alias set backup 's3://backups/laptop?region=eu-west-1'\n"
     "  kvps ls backup:2024/\n"
     "  kvps --store backup get 2024/notes.md\n"
     "  kvps alias rm backup\n",
     {}},
    {"backends",
     run_backends,
     false,
     "backends",
     "list schemes, descriptions and options",
     "Lists every backend compiled in: its schemes, description, capabilities and options\n"
     "with their type and default.\n\n"
     "Example:\n"
     "  kvps backends\n",
     {}},
    {"help",
     run_help,
     false,
     "help [COMMAND]",
     "this help, or a command's",
     "Prints the general help, or COMMAND's (the same as kvps COMMAND --help).\n\n"
     "Example:\n"
     "  kvps help cp\n",
     {}},
};

std::string option_lines(std::span<const OptionSpec> options) {
    std::string out;
    for (const OptionSpec &option : options) {
        std::string left = "  ";
        left += option.short_name ? std::string("-") + option.short_name + ", " : "    ";
        left += "--" + std::string(option.long_name);
        if (!option.value_name.empty()) left += " " + std::string(option.value_name);
        if (left.size() < 24)
            left.append(24 - left.size(), ' ');
        else
            left += "  ";
        out += left + std::string(option.help) + "\n";
    }
    return out;
}

}  // namespace

std::span<const CommandSpec> all_commands() { return commands; }

const CommandSpec *find_command(std::string_view name) {
    for (const CommandSpec &command : commands)
        if (command.name == name) return &command;
    return nullptr;
}

std::span<const OptionSpec> command_options(std::string_view name) {
    const CommandSpec *command = find_command(name);
    return command ? command->options : std::span<const OptionSpec>{};
}

std::string command_help(const CommandSpec &command) {
    std::string out = "Usage: kvps [--store STORE] " + std::string(command.synopsis) + "\n\n" +
                      std::string(command.details);
    if (!command.options.empty()) out += "\nOptions:\n" + option_lines(command.options);
    out += "\nGlobal options (kvps --help): --store STORE, -v, -q, --help.\n";
    return out;
}

std::string general_help() {
    std::string out =
        "Usage: kvps [--store STORE] [-v] [-q] COMMAND [OPTIONS] ARGS...\n\nCommands:\n";
    for (const CommandSpec &command : commands) {
        std::string left = "  " + std::string(command.name);
        left.append(left.size() < 12 ? 12 - left.size() : 1, ' ');
        out += left + std::string(command.summary) + "\n";
    }
    out += "  \"kvps help COMMAND\" or \"kvps COMMAND --help\": its options and examples.\n";
    out += "\nGlobal options:\n" + option_lines(global_options());
    out += R"(  Short options bundle (-lhr), values attach (-j8, --jobs=8), "--" ends the options
  (kvps rm -- -odd-key).

Stores and keys: an argument that names data is one of
  KEY                 a key in the current store
  NAME:KEY, NAME:     KEY in (or the whole of) the store of alias NAME (kvps help alias)
  scheme://...        a store URL: file:///abs/dir, memory://, s3://bucket/prefix?region=...
                      ("kvps backends" lists every scheme and option)
  ./dir /abs/dir ~/dir .
                      a plain folder: its files are the keys (key a/b is the file a/b); a path
                      to a file is that one key. Reading (ls, get, stat, cp or sync from it)
                      never creates or changes anything in it; writing into it adds only what
                      atomic writes need (.kvps-format, .kvps-staging/). A file:// URL without
                      a pathmapped option is read the same way, unless it already holds an
                      encoded kvps store.
  The current store: --store STORE (a URL, a folder path or an alias), else $KVPS_STORE, else
  the folder $XDG_DATA_HOME/kvps/store (~/.local/share/kvps/store when XDG_DATA_HOME is not
  set), created by the first write.

Progress: cp, sync, and a put or get that takes a while show a progress bar on standard error
when it is a terminal, unless -q is given. Messages and summaries go to standard error;
standard output carries only data.

Exit status:
  0    success
  1    a key not found (get, stat, cp of one key), with "not found: KEY" on standard error
  2    bad usage or bad input: arguments, URL, scheme, option, key, a missing input FILE; the
       message names the culprit
  3    a store error: the store (bucket, folder) does not exist, I/O, permission, network,
       server error, with the library's message
  130  interrupted (Ctrl-C): nothing half-written is left, then kvps ends by SIGINT itself so
       a calling shell loop stops too (143 for SIGTERM, 129 for SIGHUP)
)";
    return out;
}

int run_help(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 0, 1);
    if (args.operands.empty()) {
        write_stdout(general_help());
        return EXIT_OK;
    }
    const CommandSpec *command = find_command(args.operands[0]);
    if (command == nullptr) usage_error("unknown command '" + args.operands[0] + "'");
    write_stdout(command_help(*command));
    return EXIT_OK;
}

}  // namespace cli
