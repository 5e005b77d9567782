"""The pages of organisers, trainers and the public registration form, one module each."""
