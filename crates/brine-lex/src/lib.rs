//! The pickle opcode lexer.
