// alias set NAME URL | alias ls | alias rm NAME
#include "aliases.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "output.hpp"

namespace cli {

int run_alias(const Context &context) {
    const Args &args = context.args;
    const std::vector<std::string> &operands = args.operands;
    std::string action = operands.empty() ? "" : operands[0];
    std::map<std::string, std::string> aliases = load_aliases();
    if (action == "ls" || action == "list") {
        expect_operands(args, 1, 1);
        std::string text;
        for (const auto &[name, url] : aliases) text += name + "\t" + redact_url(url) + "\n";
        write_stdout(text);
        return EXIT_OK;
    }
    if (action == "set") {
        expect_operands(args, 3, 3);
        const std::string &name = operands[1];
        const std::string &url = operands[2];
        if (!valid_alias_name(name))
            usage_error(
                "alias name '" + name +
                "' must be letters, digits, '_', '-' or '.', starting with a letter or digit");
        if (url.find("://") == std::string::npos || url.find_first_of("\n\r") != std::string::npos)
            usage_error("alias '" + name + "': '" + redact_url(url) +
                        "' is not a store URL (scheme://...)");
        aliases[name] = url;
        save_aliases(aliases);
        return EXIT_OK;
    }
    if (action == "rm") {
        expect_operands(args, 2, 2);
        if (aliases.erase(operands[1]) == 0)
            throw Failure{EXIT_NOT_FOUND, "not found: alias " + operands[1]};
        save_aliases(aliases);
        return EXIT_OK;
    }
    usage_error(action.empty() ? "alias needs set, ls or rm"
                               : "unknown alias action '" + action + "' (set, ls or rm)");
}

}  // namespace cli
