"""The trained relevance model: features (plain Python), the model file and scoring (no
scikit-learn), training and cross-validation (scikit-learn), the models directory, the starter
model. crawler.relevance combines its score with the source prior and the term list."""
