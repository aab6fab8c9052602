package io.imagestream.cli;

import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;

/** Turns failures into the one-line reason the contract promises, with the stack trace only on request. */
final class Errors {
  static final String DEBUG_ENV = "IMAGESTREAM_DEBUG";
  /** Exit code of usage errors: picocli's for a bad command line, ours for a bad value or a missing file. */
  static final int USAGE = 2;

  private Errors() {}

  static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    cli.getErr().println(cli.getCommandSpec().qualifiedName() + ": " + describe(e));
    if (System.getenv(DEBUG_ENV) != null) {
      e.printStackTrace(cli.getErr());
    }
    if (e instanceof UserException user) {
      return user.exitCode;
    }
    // An invalid setting value (--batch-size=-5, IMAGESTREAM_BATCH_SIZE=abc, a bad line in --config): a usage error.
    return e instanceof ConfigException ? USAGE : 1;
  }

  /** A bad command line: one line naming the problem and where help is, instead of the whole usage text. */
  static int handleInvalidInput(CommandLine.ParameterException e, String[] args) {
    CommandLine cli = e.getCommandLine();
    String name = cli.getCommandSpec().qualifiedName();
    String problem = describe(e);
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !cli.getSubcommands().isEmpty()
        && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
      problem = "unknown command '" + unmatched.getUnmatched().get(0) + "'";
      if (!unmatched.getSuggestions().isEmpty()) {
        problem += "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
      }
    }
    cli.getErr().println(name + ": " + problem + " (see '" + name + " --help')");
    return cli.getCommandSpec().exitCodeOnInvalidInput();
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      message = e.getClass().getSimpleName();
    }
    Throwable cause = e.getCause();
    if (!(e instanceof UserException) && cause != null && cause.getMessage() != null
        && !message.contains(cause.getMessage())) {
      message += " (" + cause.getMessage() + ")";
    }
    return message.replace('\n', ' ');
  }

  /** A failure the user can act on; its message says what to do. */
  static final class UserException extends RuntimeException {
    final int exitCode;

    UserException(String message) {
      this(message, USAGE);
    }

    UserException(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }
  }
}
