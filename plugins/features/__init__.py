"""Request-content parsers (styles, storyboards, remix ids, generation ids), one small module each."""
