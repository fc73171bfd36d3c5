"""The dossier: one nested document per declaration, its sections, attachments and snapshots."""
