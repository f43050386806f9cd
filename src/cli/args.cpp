#include "args.hpp"

#include "errors.hpp"

namespace cli {
namespace {

constexpr OptionSpec globals[] = {
    {"store", 0, "STORE", "the current store: a URL, a folder path or an alias"},
    {"verbose", 'v', "", "log each backend request to standard error (never a secret)"},
    {"quiet", 'q', "", "no progress bar, no summary line"},
    {"help", 'h', "", "print help (kvps COMMAND --help: the command's)"},
    {"version", 0, "", "print the tool's and the library's versions"},
};

class Parser {
public:
    Parser(int argc, char **argv, std::span<const OptionSpec> (*options_of)(std::string_view))
        : argc_(argc), argv_(argv), options_of_(options_of) {}

    Args run() {
        bool options_ended = false;
        for (i_ = 1; i_ < argc_; ++i_) {
            std::string arg = argv_[i_];
            if (options_ended || arg == "-" || arg.size() < 2 || arg[0] != '-')
                operand(std::move(arg));
            else if (arg == "--")
                options_ended = true;
            else if (arg.starts_with("--"))
                long_option(arg.substr(2));
            else
                short_options(arg);
        }
        return std::move(args_);
    }

private:
    void operand(std::string arg) {
        if (args_.command.empty() && !seen_command_) {
            seen_command_ = true;
            args_.command = std::move(arg);
            own_ = options_of_(args_.command);
        } else {
            args_.operands.push_back(std::move(arg));
        }
    }

    // The command's options first: its short letters win over the global ones.
    const OptionSpec *find(auto matches) const {
        for (const auto &spec : own_)
            if (matches(spec)) return &spec;
        for (const auto &spec : globals)
            if (matches(spec)) return &spec;
        return nullptr;
    }

    std::string next_value(const std::string &spelling) {
        if (i_ + 1 >= argc_) usage_error("option " + spelling + " needs a value");
        return argv_[++i_];
    }

    void long_option(std::string name) {
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        const OptionSpec *spec = find([&](const OptionSpec &s) { return s.long_name == name; });
        std::string spelling = "--" + name;
        if (spec == nullptr) unknown(spelling);
        if (spec->value_name.empty() && inline_value)
            usage_error("option " + spelling + " takes no value");
        std::string value;
        if (!spec->value_name.empty()) value = inline_value ? *inline_value : next_value(spelling);
        apply(*spec, std::move(value));
    }

    void short_options(const std::string &arg) {
        for (size_t k = 1; k < arg.size(); ++k) {
            char letter = arg[k];
            const OptionSpec *spec =
                find([&](const OptionSpec &s) { return s.short_name == letter; });
            std::string spelling = std::string("-") + letter;
            if (spec == nullptr) unknown(spelling);
            std::string value;
            if (!spec->value_name.empty()) {
                value = k + 1 < arg.size() ? arg.substr(k + 1) : next_value(spelling);
                k = arg.size();
            }
            apply(*spec, std::move(value));
        }
    }

    [[noreturn]] void unknown(const std::string &spelling) const {
        if (args_.command.empty()) usage_error("unknown option '" + spelling + "'");
        throw Failure{EXIT_USAGE, "unknown option '" + spelling + "' for '" + args_.command +
                                      "' (see 'kvps help " + args_.command + "')"};
    }

    void apply(const OptionSpec &spec, std::string value) {
        std::string_view name = spec.long_name;
        bool global = &spec >= std::begin(globals) && &spec < std::end(globals);
        if (!global)
            args_.options[std::string(name)].push_back(std::move(value));
        else if (name == "store")
            args_.store = std::move(value);
        else if (name == "verbose")
            args_.verbose = true;
        else if (name == "quiet")
            args_.quiet = true;
        else if (name == "help")
            args_.help = true;
        else if (name == "version")
            args_.version = true;
    }

    int argc_;
    char **argv_;
    std::span<const OptionSpec> (*options_of_)(std::string_view);
    int i_ = 1;
    bool seen_command_ = false;
    std::span<const OptionSpec> own_;
    Args args_;
};

}  // namespace

std::optional<std::string> Args::value(std::string_view name) const {
    auto found = options.find(name);
    if (found == options.end() || found->second.empty()) return std::nullopt;
    return found->second.back();
}

std::vector<std::string> Args::values(std::string_view name) const {
    auto found = options.find(name);
    return found == options.end() ? std::vector<std::string>{} : found->second;
}

std::span<const OptionSpec> global_options() { return globals; }

Args parse_args(int argc, char **argv,
                std::span<const OptionSpec> (*options_of)(std::string_view command)) {
    return Parser(argc, argv, options_of).run();
}

void expect_operands(const Args &args, size_t min, size_t max) {
    if (args.operands.size() < min) usage_error("'" + args.command + "' needs more arguments");
    if (args.operands.size() > max)
        usage_error("too many arguments for '" + args.command + "': '" + args.operands[max] + "'");
}

}  // namespace cli
