package io.imagestream.cli;

import picocli.CommandLine;

/** Turns failures into the one-line reason the contract promises, with the stack trace only on request. */
final class Errors {
  static final String DEBUG_ENV = "IMAGESTREAM_DEBUG";

  private Errors() {}

  static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
    cli.getErr().println("imagestream " + cli.getCommandName() + ": " + describe(e));
    if (System.getenv(DEBUG_ENV) != null) {
      e.printStackTrace(cli.getErr());
    }
    return e instanceof UserException user ? user.exitCode : 1;
  }

  /** A bad command line: one line naming the problem and where help is, instead of the whole usage text. */
  static int handleInvalidInput(CommandLine.ParameterException e, String[] args) {
    CommandLine cli = e.getCommandLine();
    cli.getErr().println("imagestream " + cli.getCommandName() + ": " + describe(e) + " (see '"
        + cli.getCommandSpec().qualifiedName() + " --help')");
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
      this(message, 2);
    }

    UserException(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }
  }
}
