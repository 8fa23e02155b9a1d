import { Migration } from '@mikro-orm/migrations';

export class Migration20261121000000Init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table organisasjonsform (
        kode text primary key,
        beskrivelse text not null
      );
      create table enhet (
        organisasjonsnummer character(9) primary key
          check (organisasjonsnummer ~ '^[0-9]{9}$'),
        navn text not null,
        organisasjonsform_kode text not null references organisasjonsform (kode)
      );
      create index enhet_organisasjonsform_idx on enhet (organisasjonsform_kode);
    `);
  }
}
