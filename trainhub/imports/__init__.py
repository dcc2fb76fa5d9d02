"""The XLSX/CSV import pipeline shared by every area."""
