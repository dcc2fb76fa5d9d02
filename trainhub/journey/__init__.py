"""The SME's digital journey: maturity self-assessment, recommendations, skills vouchers, follow-up."""
