package dev.onnxtie.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Stack;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * For options whose value is optional ({@code --shared-data [NAME]}, {@code --external-data
 * [FILE]}): the next argument is taken as the value only when it is attached ({@code
 * --shared-data=NAME}) or when enough arguments remain for the command's positional parameters, so
 * that {@code rewrite --shared-data IN OUT} reads IN and OUT as positionals.
 */
final class OptionalValue implements IParameterPreprocessor {
  @Override
  public boolean preprocess(
      Stack<String> args, CommandSpec command, ArgSpec argSpec, Map<String, Object> info) {
    if (!" ".equals(info.get("separator")) || args.isEmpty()) {
      return false; // an attached value (--shared-data=NAME), or nothing follows
    }
    String next = args.peek();
    if (next.startsWith("-") && !next.equals("-")) {
      return false;
    }
    int needed = 0;
    for (PositionalParamSpec positional : command.positionalParameters()) {
      if (positional.arity().min() > 0 && positional.originalStringValues().isEmpty()) {
        needed += positional.arity().min();
      }
    }
    if (positionalsLeft(args, command) - 1 >= needed) {
      return false;
    }
    args.push(((OptionSpec) argSpec).fallbackValue()); // as if --shared-data=<default> was given
    return false;
  }

  /** How many of the remaining arguments are positionals (not options nor option values). */
  private static int positionalsLeft(Stack<String> args, CommandSpec command) {
    List<String> remaining = new ArrayList<>(args);
    Collections.reverse(remaining); // a Stack's top is its last element
    int count = 0;
    for (int i = 0; i < remaining.size(); i++) {
      String arg = remaining.get(i);
      if (arg.equals("--")) {
        return count + remaining.size() - i - 1;
      }
      if (arg.startsWith("-") && !arg.equals("-")) {
        OptionSpec option =
            command.findOption(arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg);
        if (option != null && !arg.contains("=") && option.arity().min() > 0) {
          i += option.arity().min();
        }
        continue;
      }
      count++;
    }
    return count;
  }
}
